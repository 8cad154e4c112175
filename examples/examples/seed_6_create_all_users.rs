//! The seed example `seed_6_create_all_users`: the mapper compiled by `mapper!`, applied to its sample payload.
//!
//! `cargo run -p hookmap-examples --example seed_6_create_all_users`

use hookmap::Mapper;

hookmap::mapper!("mappers/seed_6_create_all_users.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payload = include_bytes!("../payloads/seed_6_create_all_users.json");
    let records = Seed6CreateAllUsers.map(payload)?;
    println!("{}", serde_json::to_string_pretty(&records)?);
    Ok(())
}
