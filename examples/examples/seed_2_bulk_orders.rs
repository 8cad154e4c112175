//! The seed example `seed_2_bulk_orders`: the mapper compiled by `mapper!`, applied to its sample payload.
//!
//! `cargo run -p hookmap-examples --example seed_2_bulk_orders`

use hookmap::Mapper;

hookmap::mapper!("mappers/seed_2_bulk_orders.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payload = include_bytes!("../payloads/seed_2_bulk_orders.json");
    let records = Seed2BulkOrders.map(payload)?;
    println!("{}", serde_json::to_string_pretty(&records)?);
    Ok(())
}
