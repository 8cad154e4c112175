//! `hookmap run`, `test`, `diff` and `scaffold`, through the built binary.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn hookmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hookmap")).args(args).output().expect("runs hookmap")
}

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/cases")
}

fn case(name: &str, file: &str) -> String {
    cases().join(name).join(file).to_string_lossy().into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh folder under the system's temporary folder.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hookmap-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn run_prints_the_records_of_each_payload() {
    let mapper = case("seed-2-bulk-orders", "mapper.json");
    let out = hookmap(&["run", &mapper, &case("seed-2-bulk-orders", "payload-1.json")]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let records: Value = serde_json::from_str(&stdout(&out)).expect("records JSON");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(case("seed-2-bulk-orders", "expected-1.json")).expect("expected"),
    )
    .expect("JSON");
    assert_eq!(records, expected);

    // Standard input, pretty, and a refused payload: its e_9004 error, exit status 1.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookmap"))
        .args(["run", "--pretty", &mapper, "-", &case("seed-2-bulk-orders", "payload-1.json")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("runs hookmap");
    child.stdin.take().expect("stdin").write_all(br#"{"orders": 3}"#).expect("writes");
    let out = child.wait_with_output().expect("ends");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("\n  \"error\": {"), "{text}");
    let first: Value =
        serde_json::Deserializer::from_str(&text).into_iter().next().expect("a value").expect("JSON");
    assert_eq!(first["error"]["code"], "e_9004");
    assert_eq!(first["error"]["details"][0]["pointer"], "/orders");
    assert_eq!(
        serde_json::Deserializer::from_str(&text).into_iter::<Value>().count(),
        2,
        "one document per payload"
    );

    let out = hookmap(&["run", &mapper, "no/such/payload.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn test_reports_blesses_and_shows_diffs() {
    let dir = scratch("golden");
    std::fs::create_dir_all(dir.join("mappers")).expect("mappers");
    std::fs::create_dir_all(dir.join("tests/orders")).expect("tests");
    std::fs::copy(case("seed-2-bulk-orders", "mapper.json"), dir.join("mappers/orders.json"))
        .expect("mapper");
    std::fs::copy(case("seed-2-bulk-orders", "payload-1.json"), dir.join("tests/orders/two_orders.json"))
        .expect("payload");
    std::fs::write(dir.join("tests/orders/no_orders.json"), r#"{"orders": "none"}"#).expect("payload");
    let project = dir.to_string_lossy().into_owned();

    // No expected outputs yet: each case fails and shows what it produces.
    let out = hookmap(&["test", &project]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("FAIL  orders/two_orders: no "), "{}", stdout(&out));

    let out = hookmap(&["test", &project, "--bless"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("test: 0 passed, 0 failed, 2 blessed"), "{}", stdout(&out));
    let blessed = std::fs::read_to_string(dir.join("tests/orders/no_orders.records.json")).expect("blessed");
    assert!(blessed.contains("e_9004"), "a refused payload's golden file is its error: {blessed}");

    let out = hookmap(&["test", &project]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("ok    orders/two_orders"), "{}", stdout(&out));

    // A changed expectation fails with a line diff of the records.
    let expected = dir.join("tests/orders/two_orders.records.json");
    let text = std::fs::read_to_string(&expected).expect("golden").replace("ORD-001", "ORD-999");
    std::fs::write(&expected, text).expect("edit");
    let out = hookmap(&["test", &project]);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(report.contains("FAIL  orders/two_orders: the output differs"), "{report}");
    assert!(report.contains("-      \"order_id\": \"ORD-999\""), "{report}");
    assert!(report.contains("+      \"order_id\": \"ORD-001\""), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diff_names_each_change_and_the_records_that_change() {
    let old = case("seed-2-bulk-orders", "mapper.json");
    let out = hookmap(&["diff", &old, &old]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("no differences"));

    let dir = scratch("diff");
    let text = std::fs::read_to_string(&old).expect("mapper");
    let changed = text
        .replace("\"$.orders[*].order_id\"", "\"$.orders[*].id\"")
        .replace("\"currency\":", "\"currency_code\":")
        .replace("\"payload_validations\": {}", "\"payload_validations\": {\"$.orders\": \"array\"}");
    assert_ne!(changed, text, "the edits apply");
    let new = dir.join("mapper.json");
    std::fs::write(&new, changed).expect("new mapper");
    let payload = case("seed-2-bulk-orders", "payload-1.json");
    let out = hookmap(&["diff", &old, &new.to_string_lossy(), "--sample", &payload]);
    assert_eq!(out.status.code(), Some(1));
    let report = stdout(&out);
    assert!(report.contains("~ attr.order_id: $.orders[*].order_id -> $.orders[*].id (moved)"), "{report}");
    assert!(
        report.contains("~ attr.currency -> attr.currency_code: $.orders[*].currency (renamed)"),
        "{report}"
    );
    assert!(report.contains("+ payload_validations.$.orders: array"), "{report}");
    assert!(report.contains("the records differ"), "{report}");
    assert!(report.contains("-      \"order_id\": \"ORD-001\","), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The payloads each conformance case maps to records, with the case's mapping type; and the
/// examples' payloads.
fn scaffold_inputs() -> Vec<(String, &'static str, Vec<String>)> {
    let mut inputs = Vec::new();
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(cases()).expect("cases").filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    for dir in dirs {
        let mapper = std::fs::read_to_string(dir.join("mapper.json")).unwrap_or_default();
        let kind = if mapper.contains("\"users\"") { "users" } else { "events" };
        let mut payloads: Vec<String> = std::fs::read_dir(&dir)
            .expect("case")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name.starts_with("payload") && dir.join(name.replacen("payload", "expected", 1)).is_file()
            })
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        payloads.sort();
        if !payloads.is_empty() {
            inputs.push((dir.display().to_string(), kind, payloads));
        }
    }
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for entry in
        std::fs::read_dir(examples.join("payloads")).expect("example payloads").filter_map(Result::ok)
    {
        let mapper =
            std::fs::read_to_string(examples.join("mappers").join(entry.file_name())).unwrap_or_default();
        let kind = if mapper.contains("\"users\"") { "users" } else { "events" };
        inputs.push((
            entry.path().display().to_string(),
            kind,
            vec![entry.path().to_string_lossy().into_owned()],
        ));
    }
    inputs
}

#[test]
fn scaffolded_mappers_pass_check_on_their_payloads() {
    let inputs = scaffold_inputs();
    assert!(inputs.len() >= 20, "only {} inputs", inputs.len());
    let dir = scratch("scaffold");
    let mut failures = Vec::new();
    for (i, (name, kind, payloads)) in inputs.iter().enumerate() {
        let mut args = vec!["scaffold", "--type", kind];
        args.extend(payloads.iter().map(String::as_str));
        let out = hookmap(&args);
        if out.status.code() != Some(0) {
            failures.push(format!("{name}: scaffold failed: {}", String::from_utf8_lossy(&out.stderr)));
            continue;
        }
        let reasons = String::from_utf8_lossy(&out.stderr);
        assert!(
            reasons.contains("scaffold: customer_id: ") || reasons.contains("scaffold: anon_id: "),
            "{reasons}"
        );
        let mapper = dir.join(format!("m{i}.json"));
        std::fs::write(&mapper, &out.stdout).expect("write");
        let mut check = vec!["check".to_owned()];
        for payload in payloads {
            check.extend(["--sample".to_owned(), payload.clone()]);
        }
        check.push(mapper.to_string_lossy().into_owned());
        let out = hookmap(&check.iter().map(String::as_str).collect::<Vec<_>>());
        if out.status.code() != Some(0) {
            failures.push(format!("{name}: check failed:\n{}", String::from_utf8_lossy(&out.stderr)));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn scaffold_explains_its_choices() {
    let out =
        hookmap(&["scaffold", &case("jsonpath-filter-answers", "payload.json"), "--partner", "typeform"]);
    assert_eq!(out.status.code(), Some(0));
    let reasons = String::from_utf8_lossy(&out.stderr);
    assert!(
        reasons.contains(
            "customer_id: $.response.answers[?@.type == 'email'].email, an email address in every item"
        ),
        "{reasons}"
    );
    assert!(
        reasons.contains("user_time: $.response.submitted_at, every value reads with yyyy-MM-dd'T'HH:mm:ssZ"),
        "{reasons}"
    );
    let mapper: Value = serde_json::from_slice(&out.stdout).expect("mapper JSON");
    assert_eq!(mapper["partner_name"], "typeform");

    let out = hookmap(&["scaffold", "--type", "users", &case("seed-3-merge-date-time", "payload-1.json")]);
    let reasons = String::from_utf8_lossy(&out.stderr);
    assert!(
        reasons.contains("user_time: #MERGE of $.date_registered (a date) and $.time_registered"),
        "{reasons}"
    );
}
