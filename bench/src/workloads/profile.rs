//! A CRM profile whose `properties` object (about 200 members of every JSON type) is copied
//! whole by `create_all`.

use serde_json::{Map, Value, json};

use super::rng::Rng;

const WORDS: &[&str] = &["lead", "customer", "Berlin", "Zürich", "enterprise", "Q3 \"push\"", "n/a", "B2B"];

pub fn payload() -> Vec<u8> {
    let mut rng = Rng::new(11);
    let mut properties = Map::new();
    properties.insert("email".into(), json!("dana.lee@example.com"));
    properties.insert("firstname".into(), json!("Dana"));
    properties.insert("lastname".into(), json!("Lee"));
    properties.insert("lastmodifieddate".into(), json!(1_704_153_600_000_u64));
    for i in 0..200 {
        let value = match i % 8 {
            0..=2 => json!(format!("{} {}", rng.pick(WORDS), rng.below(1000))),
            3 => json!(rng.below(1_000_000)),
            4 => rng.price(1_000_000),
            5 => json!(rng.below(2) == 1),
            6 => Value::Null,
            _ if i % 16 == 7 => json!({"source": rng.pick(WORDS), "count": rng.below(50)}),
            _ => json!([rng.pick(WORDS), rng.pick(WORDS)]),
        };
        properties.insert(format!("hs_property_{i:03}"), value);
    }
    let body = json!({
        "objectId": 904_211_377_u64,
        "portalId": 62_515,
        "isDeleted": false,
        "properties": properties,
        "associations": {
            "companies": (0..20).map(|i| 7_000_000 + i).collect::<Vec<u64>>(),
            "deals": (0..20).map(|i| 9_100_000 + i).collect::<Vec<u64>>(),
        },
    });
    serde_json::to_vec(&body).expect("a Value always serializes")
}
