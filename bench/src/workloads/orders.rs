//! A batch of orders, each with a nested array of items (`$.orders[*].items[*]`): one record per
//! item. About 300 bytes per order, most of them read.

use serde_json::{Value, json};

use super::rng::Rng;

const FIRST_NAMES: &[&str] = &["Ana", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ivo", "José"];
const STATUSES: &[&str] = &["paid", "fulfilled", "refunded"];

/// `orders` orders with 1 to 4 items each.
pub fn payload(orders: usize) -> Vec<u8> {
    let mut rng = Rng::new(7);
    let orders: Vec<Value> = (0..orders)
        .map(|i| {
            let items: Vec<Value> = (0..1 + rng.below(4))
                .map(|_| {
                    json!({
                        "sku": format!("SKU-{:05}", rng.below(100_000)),
                        "quantity": 1 + rng.below(5),
                        "price": rng.price(20_000),
                    })
                })
                .collect();
            json!({
                "id": format!("ORD-{i:06}"),
                "created_at": 1_704_067_200_000_u64 + i as u64 * 61_000,
                "status": rng.pick(STATUSES),
                "currency": "EUR",
                "customer": {
                    "email": format!("customer{}@example.com", rng.below(5_000)),
                    "first_name": rng.pick(FIRST_NAMES),
                },
                "note": if i % 7 == 0 { json!("leave at the door, \"ring twice\"") } else { Value::Null },
                "items": items,
            })
        })
        .collect();
    let body = json!({
        "store_id": "store-042",
        "batch": "2024-01-01T00:00:00Z/0001",
        "orders": orders,
    });
    serde_json::to_vec(&body).expect("a Value always serializes")
}
