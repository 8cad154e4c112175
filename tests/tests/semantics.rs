//! Mapping rules beyond the conformance suite: where validations run, what may choose the
//! batching chain, optional fields, and that each problem is reported once.

use hookmap::Mapper;

hookmap::mapper!(
    name = StoreOrders,
    source = r#"{
  "partner_name": "shop",
  "mapping_type": "events",
  "mappings": {
    "customer_id": "$.orders[*].email",
    "event_name": "$.event",
    "user_time": "$.orders[*].placed_at",
    "platform": "web",
    "app_version": "$.version",
    "attr": { "sku": "$.orders[*].items[*].sku" }
  },
  "batching": true,
  "payload_validations": { "$.store": "string", "$.orders[*].placed_at": "integer" }
}"#
);

fn details(payload: &str) -> Vec<serde_json::Value> {
    let error = StoreOrders.map(payload.as_bytes()).expect_err("an error");
    let json = serde_json::to_value(&error).expect("serializes");
    json["error"]["details"].as_array().cloned().unwrap_or_default()
}

#[test]
fn validations_run_in_every_scope() {
    // The root rule fails while the chain rule holds: still an error.
    let d = details(r#"{"store": 5, "event": "E", "orders": [{"email": "a", "placed_at": 1, "items": []}]}"#);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["path"], "$.store");
    // A chain rule fails on the second order only.
    let d = details(
        r#"{"store": "s", "event": "E", "orders": [{"email": "a", "placed_at": 1, "items": []},
            {"email": "b", "placed_at": "x", "items": []}]}"#,
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0]["path"].as_str(), d[0]["index"].as_u64()), (Some("$.orders[*].placed_at"), Some(1)));
    assert_eq!(d[0]["pointer"], "/orders/1/placed_at");
}

#[test]
fn each_problem_is_reported_once() {
    // `event` (read once from the root) is missing and order 0 has no email; order 0 has three
    // items, which must not repeat either problem.
    let d = details(
        r#"{"store": "s", "orders": [{"placed_at": 1, "items": [{"sku": 1}, {"sku": 2}, {"sku": 3}]}]}"#,
    );
    let fields: Vec<_> = d.iter().map(|d| (d["field"].as_str(), d["index"].as_u64())).collect();
    assert_eq!(fields, [(Some("event_name"), None), (Some("customer_id"), Some(0))], "{d:?}");
}

#[test]
fn app_version_from_a_path_is_optional() {
    let payload = r#"{"store": "s", "event": "E", "orders": [{"email": "a", "placed_at": 1, "items": [{"sku": "x"}]}]}"#;
    let records = StoreOrders.map(payload.as_bytes()).expect("maps");
    let hookmap::Record::Event(event) = &records[0] else { panic!("an event") };
    assert_eq!(event.app_version, "1.0.0");
    let with = payload.replace(r#""event": "E""#, r#""event": "E", "version": "2.3.4""#);
    let records = StoreOrders.map(with.as_bytes()).expect("maps");
    let hookmap::Record::Event(event) = &records[0] else { panic!("an event") };
    assert_eq!(event.app_version, "2.3.4");
}

#[test]
fn validations_never_choose_the_chain() {
    // A validation deeper than the records' chain would multiply the records; it is refused.
    let source = r#"{
  "partner_name": "shop",
  "mapping_type": "users",
  "mappings": { "customer_id": "$.orders[*].email" },
  "batching": true,
  "payload_validations": { "$.orders[*].items[*].sku": "string" }
}"#;
    let error = hookmap_compiler::compile(
        &hookmap_compiler::Source::inline("deep.json", source),
        &Default::default(),
    )
    .expect_err("refused");
    assert!(error.to_string().contains("batching chain"), "{error}");
    assert!(error.to_string().contains("deep.json:6:"), "{error}");
}

mod built {
    include!(concat!(env!("OUT_DIR"), "/builder/odd_names.rs"));
    include!(concat!(env!("OUT_DIR"), "/builder/literals_only.rs"));
}

#[test]
fn member_names_that_are_not_rust_names_still_map() {
    let payload = r#"{"self": {"id": 7}, "fn": {"match": "m"}, "type": "t", "é": {"ü": "u"},
        "1st": 1, "a-b": {"c": "dash"}, "a_b": {"c": "under"}, "Self": "S"}"#;
    let records = built::OddNames.map(payload.as_bytes()).expect("maps");
    let json = serde_json::to_value(&records).expect("serializes");
    assert_eq!(
        json[0]["user_attributes"],
        serde_json::json!({"fn": "m", "kind": "t", "accent": "u", "first": 1, "dash": "dash", "under": "under", "Self": "S"})
    );
    assert_eq!(json[0]["customer_id"], "7");
}

#[test]
fn a_mapper_of_literals_reads_nothing_but_checks_the_payload_is_json() {
    let records = built::LiteralsOnly.map(br#"{"anything": [1, 2]}"#).expect("maps");
    assert_eq!(records[0].customer_id(), Some("service-account"));
    assert!(built::LiteralsOnly.map(b"{").is_err());
}

hookmap::mapper!(
    name = LastId,
    source = r#"{
  "partner_name": "crm",
  "mapping_type": "users",
  "mappings": { "customer_id": "$.ids[-1].id", "user_attributes": { "score": "$.score" } },
  "batching": false,
  "payload_validations": {}
}"#
);

#[test]
fn pointers_stay_valid_json_pointers_for_negative_indexes() {
    let error = LastId.map(br#"{"ids": [{"x": 1}]}"#).expect_err("no id");
    assert_eq!(error.details()[0].pointer.as_deref(), Some("/ids"));
    let records = LastId.map(br#"{"ids": [{"id": "a"}, {"id": "b"}]}"#).expect("maps");
    assert_eq!(records[0].customer_id(), Some("b"));
}

#[test]
fn numbers_are_copied_exactly() {
    for number in ["-0", "1.50", "1e400", "98765432109876543210", "-12"] {
        let payload = format!(r#"{{"ids": [{{"id": "a"}}], "score": {number}}}"#);
        let records = LastId.map(payload.as_bytes()).expect("maps");
        let json = serde_json::to_string(&records).expect("serializes");
        assert!(json.contains(&format!(r#""score":{number}"#)), "{json}");
    }
}

#[test]
fn payload_edge_cases_map_or_fail_whole() {
    let create_all = hookmap_tests_mapper("create-all-rules");
    // A lone surrogate escape in a key is JSON; it reads as U+FFFD like one in a value.
    let records = create_all.map(br#"{"id": "u", "traits": {"\ud800": 1, "ok": 2}}"#).expect("maps");
    let json = serde_json::to_value(&records).expect("serializes");
    assert_eq!(json[0]["user_attributes"]["ok"], 2, "{json}");
    // Numbers beyond f64 are JSON too, read or skipped.
    let records = create_all.map(br#"{"id": "u", "big": 1e400, "traits": {"n": 1e400}}"#).expect("maps");
    assert!(serde_json::to_string(&records).expect("serializes").contains("1e400"));
    // An empty id is no id.
    let error = create_all.map(br#"{"id": ""}"#).expect_err("no id");
    assert_eq!(error.details()[0].field.as_deref(), Some("customer_id"));
}

fn hookmap_tests_mapper(name: &str) -> &'static dyn Mapper {
    conformance::MAPPERS.iter().copied().find(|m| m.info().config_name == name).expect("compiled")
}

mod conformance {
    include!(concat!(env!("OUT_DIR"), "/builder/all_mappers.rs"));
}
