//! `schema/mapper.schema.json`, the JSON Schema editors check mapper files with, against the
//! compiler: it is valid draft 2020-12 with a tooltip on every property, every mapper of the
//! project and of the conformance suite validates, the reject cases that are wrong in structure
//! do not, and on a table of small changes to a mapper the schema and the compiler's front end
//! give the same verdict.
//!
//! The schema cannot check JSONPath syntax, date patterns or batching chains; those stay with
//! the compiler (`hookmap check`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::{Value, json};

const SCHEMA: &str = "../schema/mapper.schema.json";
const CONFORMANCE: &str = "../../shared/conformance";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema() -> Value {
    read_json(&root().join(SCHEMA))
}

fn validator() -> Validator {
    jsonschema::draft202012::new(&schema()).expect("the schema compiles")
}

/// Why `mapper` does not validate, one line per error; empty when it validates.
fn schema_errors(validator: &Validator, mapper: &Value) -> Vec<String> {
    validator.iter_errors(mapper).map(|e| format!("{} at `{}`", e, e.instance_path())).collect()
}

/// The `.json` files of a directory of the repository, sorted; the directory must have some.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no mappers in {}", dir.display());
    files
}

#[test]
fn schema_is_valid_draft_2020_12() {
    let schema = schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["$id"], "https://hookmap.dev/schema/mapper.schema.json");
    assert!(schema["title"].as_str().is_some_and(|t| !t.is_empty()));
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("not a valid draft 2020-12 schema: {e} at {}", e.instance_path());
    }
    let examples = schema["examples"].as_array().expect("examples");
    assert!(!examples.is_empty());
    let validator = validator();
    for example in examples {
        assert_eq!(schema_errors(&validator, example), Vec::<String>::new(), "example {example}");
    }
}

/// Every property schema (under `properties`, `patternProperties`, `additionalProperties` and
/// `$defs`, at any depth) that is an object has a non-empty `description`: it is the tooltip an
/// editor shows. `false` (a key that is not allowed in some case, such as `attr` in a users
/// mapper) has no tooltip of its own; the key's own definition has it.
#[test]
fn every_property_has_a_description() {
    fn described(schema: &Value, at: &str, missing: &mut Vec<String>) {
        match schema {
            Value::Object(_) => {
                if schema["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
                    missing.push(at.to_owned());
                }
            }
            Value::Bool(false) => {}
            _ => missing.push(format!("{at} (neither an object nor false)")),
        }
    }
    fn walk(schema: &Value, at: &str, missing: &mut Vec<String>, count: &mut usize) {
        match schema {
            Value::Object(map) => {
                for (key, value) in map {
                    let here = format!("{at}/{key}");
                    match key.as_str() {
                        // Instances, not schemas.
                        "examples" | "enum" | "const" | "default" => continue,
                        "properties" | "patternProperties" | "$defs" => {
                            for (name, property) in value.as_object().expect("a map of schemas") {
                                *count += 1;
                                described(property, &format!("{here}/{name}"), missing);
                            }
                        }
                        "additionalProperties" if value.is_object() => {
                            *count += 1;
                            described(value, &here, missing);
                        }
                        _ => {}
                    }
                    walk(value, &here, missing, count);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}/{i}"), missing, count);
                }
            }
            _ => {}
        }
    }
    let (mut missing, mut count) = (Vec::new(), 0);
    walk(&schema(), "#", &mut missing, &mut count);
    assert!(count > 30, "only {count} properties found: the walk is broken");
    assert!(missing.is_empty(), "properties without a description:\n{}", missing.join("\n"));
}

#[test]
fn every_mapper_of_the_project_and_the_conformance_suite_validates() {
    let validator = validator();
    let mut files: Vec<PathBuf> = Vec::new();
    let cases = root().join(CONFORMANCE).join("cases");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(&cases).expect("conformance cases").map(|e| e.expect("entry").path()).collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    files.extend(dirs.iter().map(|d| d.join("mapper.json")));
    for dir in ["../examples/mappers", "mappers", "../bench/mappers", "../gateway/mappers"] {
        files.extend(json_files(&root().join(dir)));
    }
    let mut failures = Vec::new();
    for file in &files {
        let errors = schema_errors(&validator, &read_json(file));
        if !errors.is_empty() {
            failures.push(format!("{}:\n  {}", file.display(), errors.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "mappers the schema refuses:\n{}", failures.join("\n"));
    assert!(files.len() >= 30, "only {} mappers checked", files.len());
}

/// Reject cases that are wrong in structure: a missing required key, an unknown key, a wrong
/// JSON type or a value outside an enumeration. The schema must refuse them.
const STRUCTURAL: &[(&str, &str)] = &[
    (
        "missing-customer-id.json",
        "an events mapper without `customer_id` or `anon_id`: a required key is missing",
    ),
    ("missing-event-name.json", "an events mapper without `event_name`: a required key is missing"),
    ("misspelled-key.json", "unknown key `mapping_typ`, and the required `mapping_type` is missing"),
    ("bad-mapping-type.json", "mapping_type \"event\" is outside the enumeration events|users"),
    ("unknown-platform.json", "platform \"webb\" is outside the enumeration web|android|ios|api"),
    ("bad-validation-type.json", "validation type \"str\" is outside the enumeration of JSON types"),
    ("bad-timezone.json", "timezone \"Mars/Olympus_Mons\" is outside the enumeration of IANA names"),
    ("merge-without-format.json", "user_time \"#MERGE\" requires the key `formats`, which is missing"),
];

/// Reject cases outside those four kinds that the schema refuses all the same, because it states
/// their rule exactly (a pattern over a name).
const BY_PATTERN: &[(&str, &str)] = &[
    ("bad-partner-name.json", "partner_name \"Lead Form\" does not match ^[a-z][a-z0-9_-]*$"),
    ("moe-prefix-attribute.json", "attribute name `moe_score` starts with the reserved prefix moe_"),
];

/// Reject cases a schema cannot see: JSONPath syntax, date patterns, batching chains (which
/// need the paths parsed), and text that is not JSON at all.
const NOT_STRUCTURAL: &[(&str, &str)] = &[
    ("bad-jsonpath.json", "JSONPath syntax"),
    ("bad-date-pattern.json", "date pattern syntax"),
    ("wildcard-without-batching.json", "`[*]` inside a JSONPath with batching false"),
    ("batching-without-wildcard.json", "batching true with no iterating JSONPath"),
    ("two-iteration-roots.json", "JSONPaths iterating two different arrays"),
    ("json-syntax-error.json", "not JSON"),
];

#[test]
fn structural_reject_cases_do_not_validate() {
    assert!(!STRUCTURAL.is_empty());
    let dir = root().join(CONFORMANCE).join("reject");
    let validator = validator();
    for (file, why) in STRUCTURAL.iter().chain(BY_PATTERN) {
        let path = dir.join(file);
        assert!(path.is_file(), "{} does not exist", path.display());
        assert!(!why.is_empty());
        let errors = schema_errors(&validator, &read_json(&path));
        assert!(!errors.is_empty(), "{file} validates, but {why}");
    }

    // Every reject case is classified, so a new one needs a decision here.
    let expectations = read_json(&dir.join("expectations.json"));
    let all: BTreeSet<&str> = expectations.as_object().expect("a map").keys().map(String::as_str).collect();
    let classified: BTreeSet<&str> =
        STRUCTURAL.iter().chain(BY_PATTERN).chain(NOT_STRUCTURAL).map(|(f, _)| *f).collect();
    assert_eq!(all, classified, "reject cases and their classification differ");
}

/// The `timezone` enumeration is exactly the names the compiler accepts (chrono-tz's).
#[test]
fn timezones_are_the_compilers() {
    let schema = schema();
    let listed: BTreeSet<&str> = schema["$defs"]["mappings"]["properties"]["timezone"]["enum"]
        .as_array()
        .expect("timezone enum")
        .iter()
        .map(|v| v.as_str().expect("a name"))
        .collect();
    let known: BTreeSet<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    let extra: Vec<_> = listed.difference(&known).collect();
    let absent: Vec<_> = known.difference(&listed).collect();
    assert!(
        extra.is_empty() && absent.is_empty(),
        "in the schema only: {extra:?}\nin chrono-tz only: {absent:?}"
    );
}

fn events() -> Value {
    json!({
        "partner_name": "lead_form",
        "mapping_type": "events",
        "mappings": {
            "customer_id": "$.email",
            "event_name": "Form Submitted",
            "user_time": "$.ts",
            "platform": "web"
        },
        "batching": false,
        "payload_validations": {}
    })
}

fn users() -> Value {
    json!({
        "partner_name": "crm",
        "mapping_type": "users",
        "mappings": {"customer_id": "$.email"}
    })
}

/// `base` with the value at the JSON pointer `at` set (`Some`) or removed (`None`).
fn with(mut base: Value, at: &str, value: Option<Value>) -> Value {
    let (parent, key) = at.rsplit_once('/').expect("a pointer");
    let object = base.pointer_mut(parent).and_then(Value::as_object_mut).expect("an object at the parent");
    match value {
        Some(v) => object.insert(key.replace("~1", "/").replace("~0", "~"), v),
        None => object.remove(key),
    };
    base
}

/// The schema and the compiler's front end agree on whether each of these mappers is fine.
#[test]
fn schema_and_compiler_agree_on_small_changes() {
    let long = |n: usize| Value::String("a".repeat(n));
    let merge = json!({"user_time": {"date": "$.d", "time": "$.t"}});
    let cases: Vec<(&str, Value)> = vec![
        ("events", events()),
        ("users", users()),
        ("$schema", with(events(), "/$schema", Some(json!("../schema/mapper.schema.json")))),
        ("$schema number", with(events(), "/$schema", Some(json!(1)))),
        ("$schema in mappings", with(events(), "/mappings/$schema", Some(json!("x")))),
        ("unknown top key", with(events(), "/partner", Some(json!("x")))),
        ("unknown mappings key", with(events(), "/mappings/customerid", Some(json!("$.id")))),
        ("root array", json!([events()])),
        ("mappings array", with(events(), "/mappings", Some(json!([])))),
        ("no partner_name", with(events(), "/partner_name", None)),
        ("no mappings", with(users(), "/mappings", None)),
        ("partner_name upper", with(events(), "/partner_name", Some(json!("Lead")))),
        ("config_name", with(events(), "/config_name", Some(json!("v2-b_c")))),
        ("config_name digit first", with(events(), "/config_name", Some(json!("2v")))),
        ("batching string", with(events(), "/batching", Some(json!("false")))),
        ("customer_id refused", with(events(), "/mappings/customer_id", Some(json!(" Guest ")))),
        ("customer_id N/A", with(events(), "/mappings/customer_id", Some(json!("N/A")))),
        ("customer_id empty", with(events(), "/mappings/customer_id", Some(json!("")))),
        ("customer_id literal", with(events(), "/mappings/customer_id", Some(json!("guest-42")))),
        ("customer_id 0", with(events(), "/mappings/customer_id", Some(json!(0)))),
        ("customer_id -2", with(events(), "/mappings/customer_id", Some(json!(-2)))),
        ("customer_id 3", with(events(), "/mappings/customer_id", Some(json!(3)))),
        ("customer_id 1.5", with(events(), "/mappings/customer_id", Some(json!(1.5)))),
        ("customer_id null", with(events(), "/mappings/customer_id", Some(Value::Null))),
        ("customer_id bool", with(events(), "/mappings/customer_id", Some(json!(true)))),
        (
            "anon_id only",
            with(with(events(), "/mappings/customer_id", None), "/mappings/anon_id", Some(json!("$.a"))),
        ),
        ("users without customer_id", with(users(), "/mappings/customer_id", None)),
        ("users with anon_id", with(users(), "/mappings/anon_id", Some(json!("$.a")))),
        ("users with event_name", with(users(), "/mappings/event_name", Some(json!("X")))),
        ("users with attr", with(users(), "/mappings/attr", Some(json!({})))),
        ("users with platform", with(users(), "/mappings/platform", Some(json!("ios")))),
        ("users update_existing_only", with(users(), "/mappings/update_existing_only", Some(json!(true)))),
        ("update_existing_only string", with(users(), "/mappings/update_existing_only", Some(json!("true")))),
        ("events update_existing_only", with(events(), "/mappings/update_existing_only", Some(json!(false)))),
        ("no platform", with(events(), "/mappings/platform", None)),
        ("platform path", with(events(), "/mappings/platform", Some(json!("$.platform")))),
        ("no user_time", with(events(), "/mappings/user_time", None)),
        ("user_time literal", with(events(), "/mappings/user_time", Some(json!("now")))),
        ("user_time number", with(events(), "/mappings/user_time", Some(json!(1704067200000_u64)))),
        ("event_name path", with(events(), "/mappings/event_name", Some(json!("$.event")))),
        ("event_name moe_", with(events(), "/mappings/event_name", Some(json!("moe_signup")))),
        ("event_name blank", with(events(), "/mappings/event_name", Some(json!("  ")))),
        ("event_name 200", with(events(), "/mappings/event_name", Some(long(200)))),
        ("event_name 201", with(events(), "/mappings/event_name", Some(long(201)))),
        ("event_name number", with(events(), "/mappings/event_name", Some(json!(42)))),
        ("app_version path", with(events(), "/mappings/app_version", Some(json!("$.v")))),
        ("app_version number", with(events(), "/mappings/app_version", Some(json!(1)))),
        (
            "attr values",
            with(
                events(),
                "/mappings/attr",
                Some(json!({"a": "x", "n": 1.5, "b": false, "p": "$.p", "create_all": "$.rest"})),
            ),
        ),
        ("attr not an object", with(events(), "/mappings/attr", Some(json!("$.a")))),
        ("attr null", with(events(), "/mappings/attr", Some(json!({"a": null})))),
        ("attr array", with(events(), "/mappings/attr", Some(json!({"a": [1]})))),
        ("attr object", with(events(), "/mappings/attr", Some(json!({"a": {"b": 1}})))),
        ("attr moe_", with(events(), "/mappings/user_attributes", Some(json!({"moe_a": "$.a"})))),
        ("attr empty name", with(events(), "/mappings/user_attributes", Some(json!({"": "$.a"})))),
        ("attr name 201", with(events(), "/mappings/attr", Some(json!({"a".repeat(201): "$.a"})))),
        ("attr value 512", with(events(), "/mappings/attr", Some(json!({"a": long(512)})))),
        ("attr value 513", with(events(), "/mappings/attr", Some(json!({"a": long(513)})))),
        (
            "attr long path",
            with(events(), "/mappings/attr", Some(json!({"a": format!("$.{}", "a".repeat(600))}))),
        ),
        ("create_all literal", with(events(), "/mappings/attr", Some(json!({"create_all": "rest"})))),
        ("create_all number", with(events(), "/mappings/attr", Some(json!({"create_all": 1})))),
        (
            "formats",
            with(events(), "/mappings/formats", Some(json!({"user_time": ["epoch_seconds", "yyyy-MM-dd"]}))),
        ),
        ("formats empty list", with(events(), "/mappings/formats", Some(json!({"user_time": []})))),
        ("formats number", with(events(), "/mappings/formats", Some(json!({"user_time": 5})))),
        ("formats list of numbers", with(events(), "/mappings/formats", Some(json!({"user_time": [5]})))),
        ("formats unknown key", with(events(), "/mappings/formats", Some(json!({"date": "yyyy"})))),
        ("timezone", with(events(), "/mappings/timezone", Some(json!("Asia/Kolkata")))),
        ("timezone UTC", with(events(), "/mappings/timezone", Some(json!("UTC")))),
        ("timezone lower case", with(events(), "/mappings/timezone", Some(json!("asia/kolkata")))),
        ("timezone offset", with(events(), "/mappings/timezone", Some(json!("+05:30")))),
        (
            "#MERGE",
            with(
                with(
                    with(events(), "/mappings/user_time", Some(json!("#MERGE"))),
                    "/mappings/#MERGE",
                    Some(merge.clone()),
                ),
                "/mappings/formats",
                Some(json!({"user_time": "yyyy-MM-dd HH:mm"})),
            ),
        ),
        (
            "#MERGE without formats",
            with(
                with(events(), "/mappings/user_time", Some(json!("#MERGE"))),
                "/mappings/#MERGE",
                Some(merge.clone()),
            ),
        ),
        (
            "#MERGE with empty formats",
            with(
                with(
                    with(events(), "/mappings/user_time", Some(json!("#MERGE"))),
                    "/mappings/#MERGE",
                    Some(merge.clone()),
                ),
                "/mappings/formats",
                Some(json!({})),
            ),
        ),
        (
            "#MERGE without the object",
            with(
                with(events(), "/mappings/user_time", Some(json!("#MERGE"))),
                "/mappings/formats",
                Some(json!({"user_time": "yyyy-MM-dd HH:mm"})),
            ),
        ),
        ("#MERGE object with a path user_time", with(events(), "/mappings/#MERGE", Some(merge.clone()))),
        ("#MERGE object in users without user_time", with(users(), "/mappings/#MERGE", Some(merge.clone()))),
        (
            "#MERGE without time",
            with(events(), "/mappings/#MERGE", Some(json!({"user_time": {"date": "$.d"}}))),
        ),
        (
            "#MERGE literal date",
            with(events(), "/mappings/#MERGE", Some(json!({"user_time": {"date": "d", "time": "$.t"}}))),
        ),
        ("#MERGE empty", with(events(), "/mappings/#MERGE", Some(json!({})))),
        (
            "validation",
            with(events(), "/payload_validations", Some(json!({"$.email": "string", "$.n": "integer"}))),
        ),
        ("validation key literal", with(events(), "/payload_validations", Some(json!({"email": "string"})))),
        ("validation type", with(events(), "/payload_validations", Some(json!({"$.email": "int"})))),
        ("validations array", with(events(), "/payload_validations", Some(json!([])))),
    ];
    let validator = validator();
    let (mut disagreements, mut accepted) = (Vec::new(), 0);
    for (name, mapper) in &cases {
        let text = serde_json::to_string_pretty(mapper).expect("serializes");
        let compiler =
            hookmap_compiler::frontend::parse(&hookmap_compiler::Source::inline("case.json", text));
        let schema = schema_errors(&validator, mapper);
        accepted += usize::from(schema.is_empty());
        if compiler.is_ok() != schema.is_empty() {
            let compiler = match compiler {
                Ok(_) => "accepts".to_owned(),
                Err(e) => format!(
                    "refuses: {}",
                    e.iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("; ")
                ),
            };
            let schema = if schema.is_empty() {
                "accepts".to_owned()
            } else {
                format!("refuses: {}", schema.join("; "))
            };
            disagreements.push(format!("{name}: compiler {compiler}; schema {schema}"));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert!(accepted >= 15 && cases.len() - accepted >= 40, "{accepted} of {} accepted", cases.len());
}

/// Every placeholder the Data API refuses is refused as a literal `customer_id`, in any case and
/// with white space around it, and an id that only contains one is not.
#[test]
fn refused_customer_ids_are_the_data_apis() {
    let validator = validator();
    let id = |v: Value| with(users(), "/mappings/customer_id", Some(v));
    for refused in hookmap_data_api::REFUSED_CUSTOMER_IDS {
        for spelled in [refused.to_string(), refused.to_uppercase(), format!(" {refused}\t")] {
            assert!(!validator.is_valid(&id(json!(spelled))), "{spelled:?} validates");
        }
        if let Ok(n) = refused.parse::<i64>() {
            assert!(!validator.is_valid(&id(json!(n))), "{n} validates");
        }
        if !refused.is_empty() {
            let kept = format!("{refused}x");
            assert!(validator.is_valid(&id(json!(kept))), "{kept:?} is refused");
        }
    }
}
