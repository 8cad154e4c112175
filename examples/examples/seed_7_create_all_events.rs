//! The seed example `seed_7_create_all_events`: the mapper compiled by `mapper!`, applied to its sample payload.
//!
//! `cargo run -p hookmap-examples --example seed_7_create_all_events`

use hookmap::Mapper;

hookmap::mapper!("mappers/seed_7_create_all_events.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payload = include_bytes!("../payloads/seed_7_create_all_events.json");
    let records = Seed7CreateAllEvents.map(payload)?;
    println!("{}", serde_json::to_string_pretty(&records)?);
    Ok(())
}
