//! Bad input never panics and never yields a partial result: every payload gives a record list
//! or an error, whatever its bytes.

mod builder {
    include!(concat!(env!("OUT_DIR"), "/builder/all_mappers.rs"));
}

use hookmap::Mapper;
use proptest::prelude::*;

/// Every compiled conformance mapper.
fn mappers() -> &'static [&'static dyn Mapper] {
    builder::MAPPERS
}

/// A valid payload of each case, to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for mapper in mappers() {
        if let Ok(list) = hookmap_tests::exchanges(mapper.info().config_name) {
            for exchange in list {
                if let Ok(bytes) = std::fs::read(&exchange.payload) {
                    seeds.push(bytes);
                }
            }
        }
    }
    seeds
}

/// Maps with every mapper; checks the result is whole: records serialize, errors carry details.
fn map_everywhere(payload: &[u8]) {
    for mapper in mappers() {
        match mapper.map(payload) {
            Ok(records) => {
                serde_json::to_string(&records).expect("records serialize");
            }
            Err(error) => {
                assert!(!error.details().is_empty());
                assert!(!error.message().is_empty());
                serde_json::to_string(&error).expect("errors serialize");
            }
        }
    }
}

#[test]
fn malformed_payloads_are_rejected_whole() {
    let cases: &[&[u8]] = &[
        b"",
        b"{",
        b"{\"orders\": [",
        b"[1, 2",
        b"{\"a\": 1,}",
        b"{\"email\": \"\xff\xfe\"}",
        // In a member no mapper reads, where serde_json's from_slice, skipping the string, would
        // not notice (found by the reader_vs_serde_json fuzz target): no JSON all the same.
        b"{\"never_read_member\": \"C\xff\xff\xffUST\", \"email\": \"a@b.c\"}",
        b"nul",
        b"{\"email\": \"a\"} trailing",
    ];
    for payload in cases {
        for mapper in mappers() {
            let error = mapper.map(payload).expect_err("malformed JSON is an error");
            assert!(error.is_invalid_payload(), "{}: {error}", mapper.info().config_name);
        }
    }
}

#[test]
fn deep_nesting_never_crashes() {
    for depth in [200, 10_000, 100_000] {
        let objects = format!("{}{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let arrays = format!("{{\"orders\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
        let read = format!("{{\"email\": {}{}, \"submitted_at\": 1}}", "[".repeat(depth), "]".repeat(depth));
        for payload in [&objects, &arrays, &read] {
            map_everywhere(payload.as_bytes());
        }
        // Deep values the mapper reads are refused as values of the wrong type.
        let form = mappers().iter().find(|m| m.info().config_name == "seed-1-simple-form").expect("seed 1");
        let error = form.map(read.as_bytes()).expect_err("an array is no customer_id");
        assert_eq!(error.details()[0].field.as_deref(), Some("customer_id"));
    }
}

#[test]
fn lone_surrogates_become_replacement_characters() {
    let form = mappers().iter().find(|m| m.info().config_name == "seed-1-simple-form").expect("seed 1");
    let records =
        form.map(br#"{"email": "a\ud800b", "submitted_at": 1, "form_name": "x\udc00"}"#).expect("maps");
    assert_eq!(records[0].customer_id(), Some("a\u{fffd}b"));
}

#[test]
fn huge_numbers_and_strings_stay_exact() {
    let digits = "9".repeat(5000);
    let long = "x".repeat(2_000_000);
    let payload = format!(
        "{{\"email\": \"{long}\", \"submitted_at\": {digits}, \"form_name\": {digits}, \"first_name\": 1e400}}"
    );
    map_everywhere(payload.as_bytes());
    let form = mappers().iter().find(|m| m.info().config_name == "seed-1-simple-form").expect("seed 1");
    // A user_time that does not fit in 64 bits is an error naming the field.
    let error = form.map(payload.as_bytes()).expect_err("user_time out of range");
    assert_eq!(error.details()[0].field.as_deref(), Some("user_time"));
    let payload = format!("{{\"email\": \"{long}\", \"submitted_at\": 1, \"form_name\": {digits}}}");
    let records = form.map(payload.as_bytes()).expect("maps");
    let json = serde_json::to_string(&records).expect("serializes");
    assert!(json.contains(&digits), "numbers are copied exactly");
    assert!(json.contains(&long));
}

#[test]
fn wrong_types_are_errors_with_pointers() {
    let form = mappers().iter().find(|m| m.info().config_name == "seed-1-simple-form").expect("seed 1");
    let error = form.map(br#"{"email": {"x": 1}, "submitted_at": "yesterday"}"#).expect_err("wrong types");
    let fields: Vec<_> = error.details().iter().map(|d| d.field.as_deref().unwrap_or("")).collect();
    assert_eq!(fields, ["customer_id", "user_time"]);
    assert_eq!(error.details()[0].pointer.as_deref(), Some("/email"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        map_everywhere(&bytes);
    }

    #[test]
    fn mutated_payloads_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let seeds = seeds();
        let mut bytes = seeds[seed.index(seeds.len())].clone();
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
        }
        map_everywhere(&bytes);
    }

    #[test]
    fn structurally_valid_json_of_any_shape_maps_or_errs(value in json_value()) {
        let payload = serde_json::to_vec(&value).expect("serializes");
        map_everywhere(&payload);
    }
}

/// Random JSON documents over the keys the mappers read, so paths hit values of every type.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let keys = prop::sample::select(vec![
        "email",
        "orders",
        "customer_email",
        "order_date",
        "t",
        "id",
        "traits",
        "user_attributes",
        "event_attributes",
        "date_registered",
        "time_registered",
        "items",
        "event_type",
        "timestamp",
    ]);
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        "[a-z0-9 :/-]{0,24}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::vec((keys.clone(), inner), 0..6).prop_map(|entries| {
                serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}
