//! The seed example `seed_5_anonymous`: the mapper compiled by `mapper!`, applied to its sample payload.
//!
//! `cargo run -p hookmap-examples --example seed_5_anonymous`

use hookmap::Mapper;

hookmap::mapper!("mappers/seed_5_anonymous.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payload = include_bytes!("../payloads/seed_5_anonymous.json");
    let records = Seed5Anonymous.map(payload)?;
    println!("{}", serde_json::to_string_pretty(&records)?);
    Ok(())
}
