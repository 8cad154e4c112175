//! The compiler's evaluator (`hookmap run`, `hookmap test`, sample checks) against the generated
//! code: the same records JSON or the same error JSON, byte for byte, on every conformance
//! payload and on random payloads for every conformance mapper. (The JSONPath compliance cases
//! are compared in `jsonpath_cts.rs`.)

mod builder {
    include!(concat!(env!("OUT_DIR"), "/builder/all_mappers.rs"));
}

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use hookmap::Mapper;
use hookmap_compiler::ir::Plan;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// A mapper as the evaluator runs it and as the `Builder` compiled it.
struct Pair {
    name: String,
    plan: Plan,
    compiled: &'static dyn Mapper,
}

/// Every conformance mapper and the test crate's extra mappers, planned and compiled.
static PAIRS: LazyLock<Vec<Pair>> = LazyLock::new(|| {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let cases = hookmap_tests::cases_dir();
    for entry in std::fs::read_dir(&cases).expect("the conformance cases").filter_map(Result::ok) {
        let mapper = entry.path().join("mapper.json");
        if mapper.is_file() {
            files.push((entry.file_name().to_string_lossy().into_owned(), mapper));
        }
    }
    for name in ["odd_names", "literals_only"] {
        files.push((
            name.to_owned(),
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("mappers/{name}.json")),
        ));
    }
    files.sort();
    files
        .into_iter()
        .map(|(name, path)| {
            let text = std::fs::read_to_string(&path).expect("mapper file");
            let source = hookmap_compiler::Source::inline(path.display().to_string(), text);
            let options = hookmap_compiler::Options { config_name: Some(name.clone()), ..Default::default() };
            let plan = hookmap_compiler::plan(&source, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
            let compiled = *builder::MAPPERS
                .iter()
                .find(|m| m.info().config_name == plan.config_name)
                .unwrap_or_else(|| panic!("{name} ({}) is compiled", plan.config_name));
            Pair { name, plan, compiled }
        })
        .collect()
});

/// The records JSON or the error JSON.
fn outcome(result: Result<Vec<hookmap::Record<'_>>, hookmap::MapError>) -> Result<String, String> {
    match result {
        Ok(records) => Ok(serde_json::to_string(&records).expect("records serialize")),
        Err(error) => Err(serde_json::to_string(&error).expect("errors serialize")),
    }
}

/// `Err` shows both outcomes when they differ.
fn agree(pair: &Pair, payload: &[u8]) -> Result<(), String> {
    let compiled = outcome(pair.compiled.map(payload));
    let evaluated = outcome(hookmap_compiler::evaluate::evaluate(&pair.plan, payload));
    if compiled == evaluated {
        Ok(())
    } else {
        Err(format!(
            "{}: payload {}\n  generated: {compiled:?}\n  evaluator: {evaluated:?}",
            pair.name,
            String::from_utf8_lossy(payload)
        ))
    }
}

/// Every payload of every case, as bytes.
fn conformance_payloads() -> Vec<Vec<u8>> {
    let mut payloads = Vec::new();
    for pair in PAIRS.iter() {
        if let Ok(list) = hookmap_tests::exchanges(&pair.name) {
            payloads.extend(list.iter().filter_map(|e| std::fs::read(&e.payload).ok()));
        }
    }
    payloads
}

#[test]
fn the_evaluator_agrees_on_the_conformance_suite() {
    let mut compared = 0;
    let mut failures = Vec::new();
    for pair in PAIRS.iter() {
        let Ok(list) = hookmap_tests::exchanges(&pair.name) else { continue };
        for exchange in list {
            let payload = std::fs::read(&exchange.payload).expect("payload");
            compared += 1;
            if let Err(why) = agree(pair, &payload) {
                failures.push(why);
            }
            // The evaluator also meets the case's expectation on its own.
            let evaluated = hookmap_compiler::evaluate::evaluate(&pair.plan, &payload);
            let expected_records = matches!(exchange.expected, hookmap_tests::Expected::Records(_));
            if evaluated.is_ok() != expected_records {
                failures.push(format!("{}: {} is not as expected", pair.name, exchange.payload.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 25, "only {compared} conformance payloads found");
}

#[test]
fn every_conformance_payload_agrees_with_every_mapper() {
    // Other cases' payloads make good wrong input: missing fields, other shapes, arrays.
    let payloads = conformance_payloads();
    let failures: Vec<String> =
        PAIRS.iter().flat_map(|pair| payloads.iter().filter_map(move |p| agree(pair, p).err())).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Member names of the conformance payloads, so random objects hit the mappers' paths.
static KEYS: LazyLock<Vec<String>> = LazyLock::new(|| {
    fn collect(value: &Value, keys: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                    collect(value, keys);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, keys)),
            _ => {}
        }
    }
    let mut keys = vec!["x".to_owned()];
    for payload in conformance_payloads() {
        if let Ok(value) = serde_json::from_slice::<Value>(&payload) {
            collect(&value, &mut keys);
        }
    }
    keys
});

/// Leaves that the mappers' conversions treat differently: ids, times in several formats,
/// numbers at the edges, empty strings, escapes.
fn leaf() -> impl Strategy<Value = Value> {
    let text = prop::sample::select(vec![
        "",
        "a@b.c",
        "ORD-1",
        "2024-10-25T14:30:00Z",
        "2024-10-25T14:30:00+0530",
        "2024-10-25 14:30:00",
        "25/10/2024",
        "14:30",
        "1704067200",
        "Fri, 25 Oct 2024 2:30 PM",
        "tab\there",
        "é\u{1F600}",
        "true",
    ]);
    let number = prop::sample::select(vec![
        "0",
        "-1",
        "1704067200",
        "1704067200000",
        "3.5",
        "1e3",
        "-0",
        "99999999999999999999",
        "1.0",
    ]);
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        number.prop_map(|n| serde_json::from_str(n).expect("a number")),
        text.prop_map(|s| Value::String(s.to_owned())),
        "[a-z0-9@./ -]{0,12}".prop_map(Value::String),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS.clone()), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// The nodes of `value` in pre-order, as JSON pointers.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                pointers(child, format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// What a test does to a conformance payload: replace a node, remove it, or leave it.
#[derive(Clone, Debug)]
enum Edit {
    Replace(prop::sample::Index, Value),
    Remove(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<prop::sample::Index>(), json()).prop_map(|(at, value)| Edit::Replace(at, value)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
    ]
}

fn apply(payload: &mut Value, edit: &Edit) {
    let mut all = Vec::new();
    pointers(payload, String::new(), &mut all);
    match edit {
        Edit::Replace(at, value) => {
            let pointer = &all[at.index(all.len())];
            if let Some(node) = payload.pointer_mut(pointer) {
                *node = value.clone();
            }
        }
        Edit::Remove(at) => {
            let pointer = &all[at.index(all.len())];
            let Some((parent, last)) = pointer.rsplit_once('/') else { return };
            match payload.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = last.parse::<usize>()
                        && i < items.len()
                    {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    /// Conformance payloads with parts replaced by random JSON or removed.
    #[test]
    fn edited_payloads_agree(seed in any::<prop::sample::Index>(), edits in prop::collection::vec(edit(), 1..5)) {
        let payloads: Vec<Value> =
            conformance_payloads().iter().filter_map(|p| serde_json::from_slice(p).ok()).collect();
        let mut value = payloads[seed.index(payloads.len())].clone();
        for edit in &edits {
            apply(&mut value, edit);
        }
        for text in [serde_json::to_string(&value).expect("JSON"), serde_json::to_string_pretty(&value).expect("JSON")] {
            for pair in PAIRS.iter() {
                if let Err(why) = agree(pair, text.as_bytes()) {
                    prop_assert!(false, "{}", why);
                }
            }
        }
    }

    /// Random JSON documents, whole.
    #[test]
    fn random_documents_agree(value in json()) {
        let text = serde_json::to_string(&value).expect("JSON");
        for pair in PAIRS.iter() {
            if let Err(why) = agree(pair, text.as_bytes()) {
                prop_assert!(false, "{}", why);
            }
        }
    }

    /// Bytes changed at random: mostly no JSON, where both must report the same position.
    #[test]
    fn mutated_bytes_agree(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let payloads = conformance_payloads();
        let mut bytes = payloads[seed.index(payloads.len())].clone();
        for (at, byte) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
            } else {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
        }
        for pair in PAIRS.iter() {
            if let Err(why) = agree(pair, &bytes) {
                prop_assert!(false, "{}", why);
            }
        }
    }
}
