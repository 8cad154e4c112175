//! The seed example `seed_3_merge_date_time`: the mapper compiled by `mapper!`, applied to its sample payload.
//!
//! `cargo run -p hookmap-examples --example seed_3_merge_date_time`

use hookmap::Mapper;

hookmap::mapper!("mappers/seed_3_merge_date_time.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payload = include_bytes!("../payloads/seed_3_merge_date_time.json");
    let records = Seed3MergeDateTime.map(payload)?;
    println!("{}", serde_json::to_string_pretty(&records)?);
    Ok(())
}
