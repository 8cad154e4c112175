//! The seed example `seed_4_users_only`: the mapper compiled by `mapper!`, applied to its sample payload.
//!
//! `cargo run -p hookmap-examples --example seed_4_users_only`

use hookmap::Mapper;

hookmap::mapper!("mappers/seed_4_users_only.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payload = include_bytes!("../payloads/seed_4_users_only.json");
    let records = Seed4UsersOnly.map(payload)?;
    println!("{}", serde_json::to_string_pretty(&records)?);
    Ok(())
}
