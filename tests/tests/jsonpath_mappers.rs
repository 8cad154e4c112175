//! Mappers whose paths use filters, slices, unions, `..` and functions, end to end through
//! `mapper!`: which records are made, which value each field gets (the first match, in document
//! order), and where errors point.

use hookmap::Mapper;
use serde_json::{Value, json};

fn records(mapper: &dyn Mapper, payload: &Value) -> Value {
    let bytes = serde_json::to_vec(payload).expect("payload");
    let records = mapper.map(&bytes).unwrap_or_else(|e| panic!("mapping failed: {e}"));
    serde_json::to_value(&records).expect("records serialize")
}

fn error(mapper: &dyn Mapper, payload: &Value) -> Value {
    let bytes = serde_json::to_vec(payload).expect("payload");
    let error = mapper.map(&bytes).expect_err("mapping must fail");
    serde_json::to_value(&error).expect("errors serialize")["error"].clone()
}

/// The `attr` of each record.
fn attrs(records: &Value) -> Vec<Value> {
    records.as_array().expect("records").iter().map(|r| r["attr"].clone()).collect()
}

hookmap::mapper!(
    name = PaidOrders,
    source = r#"{
      "partner_name": "shop",
      "mapping_type": "events",
      "mappings": {
        "customer_id": "$.orders[?@.status == 'paid'].email",
        "event_name": "Order Paid",
        "user_time": "$.orders[?@.status == 'paid'].at",
        "platform": "api",
        "attr": {
          "order": "$.orders[?@.status == 'paid'].id",
          "first_big_line": "$.orders[?@.status == 'paid'].lines[?@.qty >= 10].sku",
          "owner": "$.contacts[?@.role == 'owner'].email",
          "shop": "$.shop"
        }
      },
      "batching": true,
      "payload_validations": {}
    }"#
);

#[test]
fn a_filter_on_the_chain_makes_one_record_per_kept_element() {
    let payload = json!({
        "shop": "north",
        "contacts": [{"role": "staff", "email": "s@x"}, {"role": "owner", "email": "o@x"}, {"role": "owner", "email": "o2@x"}],
        "orders": [
            {"id": 1, "status": "paid", "email": "a@x", "at": 1000, "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 12}, {"sku": "C", "qty": 20}]},
            {"id": 2, "status": "open", "email": "b@x", "at": 2000},
            {"id": 3, "status": "paid", "email": "c@x", "at": 3000, "lines": []},
            "not an order"
        ]
    });
    let out = records(&PaidOrders, &payload);
    let ids: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["customer_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a@x", "c@x"]);
    assert_eq!(
        attrs(&out),
        [
            json!({"order": 1, "first_big_line": "B", "owner": "o@x", "shop": "north"}),
            json!({"order": 3, "owner": "o@x", "shop": "north"}),
        ]
    );
}

#[test]
fn errors_in_a_filtered_chain_name_the_element_by_its_array_position() {
    let payload = json!({"orders": [{"status": "open"}, {"status": "paid", "at": 5}]});
    let error = error(&PaidOrders, &payload);
    let detail = &error["details"][0];
    assert_eq!(detail["field"], "customer_id");
    assert_eq!(detail["path"], "$.orders[?@.status == 'paid'].email");
    assert_eq!(detail["index"], 1);
    assert_eq!(detail["pointer"], "/orders/1/email");
}

hookmap::mapper!(
    name = EverySecondItem,
    source = r#"{
      "partner_name": "shop",
      "mapping_type": "users",
      "mappings": {
        "customer_id": "$.items[::2].id",
        "user_attributes": { "name": "$.items[::2].name", "total": "$.total" }
      },
      "batching": true,
      "payload_validations": {}
    }"#
);

hookmap::mapper!(
    name = LastTwoBackwards,
    source = r#"{
      "partner_name": "shop",
      "mapping_type": "users",
      "mappings": { "customer_id": "$.items[:-3:-1].id" },
      "batching": true,
      "payload_validations": {}
    }"#
);

#[test]
fn a_slice_on_the_chain_selects_elements_in_slice_order() {
    let payload = json!({"total": 4, "items": [{"id": "a", "name": "A"}, {"id": "b"}, {"id": "c", "name": "C"}, {"id": "d"}]});
    let out = records(&EverySecondItem, &payload);
    let ids: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["customer_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "c"]);
    assert_eq!(out[1]["user_attributes"], json!({"name": "C", "total": 4}));

    let out = records(&LastTwoBackwards, &payload);
    let ids: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["customer_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["d", "c"]);
    assert_eq!(records(&LastTwoBackwards, &json!({"items": []})), json!([]));
}

hookmap::mapper!(
    name = PaidItems,
    source = r#"{
      "partner_name": "shop",
      "mapping_type": "events",
      "mappings": {
        "customer_id": "$.orders[?@.paid == true].buyer",
        "event_name": "Item Bought",
        "user_time": "$.at",
        "platform": "web",
        "attr": { "sku": "$.orders[?@.paid == true].items[*].sku", "order": "$.orders[?@.paid == true].id" }
      },
      "batching": true,
      "payload_validations": { "$.orders[?@.paid == true].items[*].sku": "string" }
    }"#
);

#[test]
fn filters_and_wildcards_chain_and_validations_follow_the_chain() {
    let payload = json!({"at": 7, "orders": [
        {"id": 1, "paid": true, "buyer": "x", "items": [{"sku": "a"}, {"sku": "b"}]},
        {"id": 2, "paid": false, "buyer": "y", "items": [{"sku": 3}]},
        {"id": 3, "paid": true, "buyer": "z", "items": [{"sku": "c"}]}
    ]});
    let out = records(&PaidItems, &payload);
    assert_eq!(
        attrs(&out),
        [json!({"sku": "a", "order": 1}), json!({"sku": "b", "order": 1}), json!({"sku": "c", "order": 3})]
    );
    // The unpaid order's bad sku is not on the chain: only kept elements are validated.
    let mut bad = payload.clone();
    bad["orders"][2]["items"][0]["sku"] = json!(false);
    let error = error(&PaidItems, &bad);
    assert_eq!(error["details"][0]["pointer"], "/orders/2/items/0/sku");
    assert_eq!(error["details"][0]["index"], 2);
}

hookmap::mapper!(
    name = FirstMatches,
    source = r#"{
      "partner_name": "survey",
      "mapping_type": "events",
      "mappings": {
        "customer_id": "$..email",
        "event_name": "$['name', 'title']",
        "user_time": "$.times[-2:]",
        "platform": "web",
        "attr": {
          "expensive": "$.items[?@.price > $.threshold].name",
          "long_name": "$.items[?length(@.name) > 5].name",
          "tagged": "$.items[?count(@.tags[*]) >= 2].name",
          "by_pattern": "$.items[?match(@.code, 'X-[0-9]{2}')].name",
          "searched": "$.items[?search(@.name, '\\\\p{Lu}{2}')].name",
          "missing": "$.items[?@.price > 1000].name",
          "either": "$.items[0]['nope', 'price']"
        }
      },
      "batching": false,
      "payload_validations": { "$.items[?@.price > 1].price": "number" }
    }"#
);

#[test]
fn a_path_that_matches_several_nodes_gives_its_first_match() {
    let payload = json!({
        "title": "Survey",
        "name": "Named first",
        "times": [1, 2, 3],
        "threshold": 10,
        "profile": {"contact": {"email": "deep@x"}},
        "items": [
            {"name": "cheap", "price": 5, "code": "X-123", "tags": ["a"]},
            {"name": "pricey", "price": 50, "code": "X-12", "tags": ["a", "b"]},
            {"name": "large TV", "price": 500, "code": "Y-12", "tags": []}
        ],
        "email": "top@x"
    });
    let out = records(&FirstMatches, &payload);
    let record = &out[0];
    // `..` visits the root's own members before descending, in document order.
    assert_eq!(record["customer_id"], "top@x");
    assert_eq!(record["event_name"], "Named first");
    assert_eq!(record["user_time"], 2);
    assert_eq!(
        record["attr"],
        json!({
            "expensive": "pricey",
            "long_name": "pricey",
            "tagged": "pricey",
            "by_pattern": "pricey",
            "searched": "large TV",
            "either": 5
        })
    );
}

#[test]
fn a_required_path_whose_filter_matches_nothing_is_missing() {
    let payload = json!({"times": [1, 2], "items": [{"price": 5}], "profile": {}});
    let error = error(&FirstMatches, &payload);
    let fields: Vec<&str> =
        error["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["customer_id", "event_name"]);
    assert_eq!(error["details"][0]["path"], "$..email");
}

#[test]
fn validations_of_filtered_paths_run_first_and_alone() {
    let payload = json!({"times": [1, 2], "items": [{"price": "5"}]});
    let error = error(&FirstMatches, &payload);
    assert_eq!(error["details"].as_array().map(Vec::len), Some(1));
    assert_eq!(error["details"][0]["path"], "$.items[?@.price > 1].price");
}

#[test]
fn an_error_on_a_first_match_points_at_the_node_found() {
    let payload = json!({
        "name": "n",
        "times": [1, 2],
        "items": [{"price": 5}],
        "profile": {"contact/main": {"email": ["not", "a", "string"]}}
    });
    let error = error(&FirstMatches, &payload);
    let detail = &error["details"][0];
    assert_eq!(detail["field"], "customer_id");
    assert_eq!(detail["pointer"], "/profile/contact~1main/email");
}

hookmap::mapper!(
    name = FilteredChainFirstMatch,
    source = r#"{
      "partner_name": "shop",
      "mapping_type": "users",
      "mappings": {
        "customer_id": "$.orders[*].lines[?@.qty > 1].buyer"
      },
      "batching": true,
      "payload_validations": {}
    }"#
);

#[test]
fn a_first_match_inside_an_element_points_into_that_element() {
    let payload = json!({"orders": [{"lines": [{"qty": 3, "buyer": "a"}]}, {"lines": [{"qty": 1}, {"qty": 2, "buyer": 7.5}]}]});
    let error = error(&FilteredChainFirstMatch, &payload);
    let detail = &error["details"][0];
    assert_eq!(detail["index"], 1);
    assert_eq!(detail["pointer"], "/orders/1/lines/1/buyer");
}

hookmap::mapper!(
    name = AboveMinimum,
    source = r#"{
      "partner_name": "shop",
      "mapping_type": "users",
      "mappings": {
        "customer_id": "$.orders[?@.total > $.rules.min].id",
        "user_attributes": { "tier": "$.rules.tiers[?@.from <= $.orders[0].total].name" }
      },
      "batching": true,
      "payload_validations": {}
    }"#
);

#[test]
fn dollar_in_a_filter_is_the_payload_on_and_off_the_chain() {
    let payload = json!({
        "rules": {"min": 10, "tiers": [{"from": 100, "name": "gold"}, {"from": 0, "name": "basic"}]},
        "orders": [{"id": "a", "total": 5}, {"id": "b", "total": 50}, {"id": "c", "total": 10.5}]
    });
    let out = records(&AboveMinimum, &payload);
    let ids: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["customer_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["b", "c"]);
    assert_eq!(out[0]["user_attributes"], json!({"tier": "basic"}));
}

#[test]
fn a_query_over_a_value_nested_too_deep_finds_nothing_and_never_crashes() {
    for depth in [100, 200, 100_000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let payload = format!(
            r#"{{"email": "e", "name": "n", "times": [1, 2], "threshold": 1, "items": [{{"price": 5, "name": "x", "deep": {deep}}}]}}"#
        );
        // The validation's filter searches the items, which hold the deep value.
        let result = FirstMatches.map(payload.as_bytes());
        // The tree of `$.items` adds two levels (the array and the item).
        if depth + 2 <= 128 {
            assert!(result.is_ok(), "{result:?}");
        } else {
            let error = result.expect_err("the items cannot be searched: the validation finds nothing");
            assert_eq!(error.details()[0].path.as_deref(), Some("$.items[?@.price > 1].price"));
        }
    }
}

hookmap::mapper!(
    name = NullNotes,
    source = r#"{
      "partner_name": "shop",
      "mapping_type": "users",
      "mappings": {
        "customer_id": "$.orders[?@.note == null].id",
        "user_attributes": { "note": "$.orders[?@.note == null].note", "kind": "$.orders[?@.note == null].meta.kind" }
      },
      "batching": true,
      "payload_validations": {}
    }"#
);

hookmap::mapper!(
    name = HasNote,
    source = r#"{
      "partner_name": "shop",
      "mapping_type": "users",
      "mappings": { "customer_id": "$.orders[?@.note && !@.meta.hidden].id" },
      "batching": true,
      "payload_validations": {}
    }"#
);

#[test]
fn a_filter_on_members_tells_null_from_missing() {
    let payload = json!({"orders": [
        {"id": "a", "note": null, "meta": {"kind": "k"}},
        {"id": "b"},
        {"id": "c", "note": "hi", "meta": {"hidden": false}},
        {"id": "d", "note": 0, "meta": {"hidden": true}}
    ]});
    let out = records(&NullNotes, &payload);
    assert_eq!(out.as_array().map(Vec::len), Some(1));
    assert_eq!(out[0]["customer_id"], "a");
    // `null` is still no attribute value (rule 2).
    assert_eq!(out[0]["user_attributes"], json!({"kind": "k"}));

    let out = records(&HasNote, &payload);
    let ids: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["customer_id"].as_str().unwrap()).collect();
    // `!@.meta.hidden` is "has no hidden member": `false` is a member too.
    assert_eq!(ids, ["a"]);
}

hookmap::mapper!(
    name = NestedOperands,
    source = r#"{
      "partner_name": "survey",
      "mapping_type": "users",
      "mappings": {
        "customer_id": "$.answers[?@.field && @.field.ref == 'email'].email",
        "user_attributes": { "ref": "$.answers[?@.field && @.field.ref == 'email'].field.ref" }
      },
      "batching": true,
      "payload_validations": {}
    }"#
);

#[test]
fn a_filter_that_needs_a_member_and_its_members_reads_the_element_as_a_tree() {
    // `@.field` is both tested and looked into: the filter parses each element instead.
    let payload = json!({"answers": [
        {"field": null, "email": "x"},
        {"field": {"ref": "email"}, "email": "a@x"},
        {"email": "y"},
        {"field": {"ref": "email"}, "email": "b@x"}
    ]});
    let out = records(&NestedOperands, &payload);
    let ids: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["customer_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a@x", "b@x"]);
    assert_eq!(out[0]["user_attributes"], json!({"ref": "email"}));
}
