//! The seed example `seed_1_simple_form`: the mapper compiled by `mapper!`, applied to its sample payload.
//!
//! `cargo run -p hookmap-examples --example seed_1_simple_form`

use hookmap::Mapper;

hookmap::mapper!("mappers/seed_1_simple_form.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payload = include_bytes!("../payloads/seed_1_simple_form.json");
    let records = Seed1SimpleForm.map(payload)?;
    println!("{}", serde_json::to_string_pretty(&records)?);
    Ok(())
}
