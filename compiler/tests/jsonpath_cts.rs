//! The JSONPath Compliance Test Suite, parse side: every selector the suite marks
//! `invalid_selector` must be rejected and every other one must parse.
//!
//! Also feeds every prefix of every selector to the parser, and every selector with a stray
//! delimiter inserted anywhere, since half-typed and mistyped queries are the inputs most likely
//! to reach a path nobody thought of: none may panic, and every error span must be in the text.

use std::path::PathBuf;

use hookmap_compiler::jsonpath::parse;
use serde_json::Value;

struct Case {
    name: String,
    selector: String,
    invalid: bool,
}

fn cases() -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/jsonpath-cts/cts.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let suite: Value = serde_json::from_str(&text).expect("cts.json is JSON");
    let tests = suite["tests"].as_array().expect("cts.json has a tests array");
    tests
        .iter()
        .map(|test| Case {
            name: test["name"].as_str().expect("every test has a name").to_owned(),
            selector: test["selector"].as_str().expect("every test has a selector").to_owned(),
            invalid: test["invalid_selector"].as_bool().unwrap_or(false),
        })
        .collect()
}

#[test]
fn cts_selectors_parse_or_are_rejected_as_the_suite_says() {
    let cases = cases();
    assert!(cases.len() > 600, "the suite looks truncated: {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        match (parse(&case.selector), case.invalid) {
            (Ok(_), false) | (Err(_), true) => {}
            (Ok(query), true) => {
                failures.push(format!("{}: {:?} parsed but is invalid: {query:?}", case.name, case.selector))
            }
            (Err(error), false) => failures.push(format!(
                "{}: {:?} is valid but was rejected: {} at {:?}",
                case.name, case.selector, error.message, error.span
            )),
        }
    }
    for failure in &failures {
        eprintln!("{failure}");
    }
    println!("cts-parse: {} passed, {} failed", cases.len() - failures.len(), failures.len());
    assert!(failures.is_empty(), "{} CTS cases failed", failures.len());
}

#[test]
fn cts_errors_point_inside_the_selector() {
    for case in cases().iter().filter(|case| case.invalid) {
        let error = parse(&case.selector).expect_err(&case.name);
        let span = error.span.clone();
        assert!(
            span.start <= span.end
                && span.end <= case.selector.len()
                && case.selector.is_char_boundary(span.start)
                && case.selector.is_char_boundary(span.end),
            "{}: span {span:?} is not a range of {:?}",
            case.name,
            case.selector
        );
        assert!(!error.message.is_empty(), "{}: empty message", case.name);
        for rule_like in ["_expr", "_selector", "_segment", "_op", "_literal", "EOI", "internal error"] {
            assert!(
                !error.message.contains(rule_like),
                "{}: grammar internals in {:?}",
                case.name,
                error.message
            );
        }
    }
}

#[test]
fn no_prefix_or_mutation_of_a_cts_selector_panics() {
    let check = |text: &str| {
        if let Err(error) = parse(text) {
            let span = error.span;
            assert!(
                span.start <= span.end && text.get(span.clone()).is_some(),
                "{text:?}: span {span:?} is not a range of the text"
            );
            assert!(!error.message.starts_with("internal error"), "{text:?}: {}", error.message);
        }
    };
    let mut parsed = 0;
    for case in cases() {
        for (at, _) in case.selector.char_indices() {
            check(&case.selector[..at]);
            // Characters that open, close or escape something, inserted anywhere.
            for inserted in ["\\", "\"", "'", "]", ")", "(", "é", " ", "-"] {
                check(&format!("{}{inserted}{}", &case.selector[..at], &case.selector[at..]));
            }
            parsed += 10;
        }
    }
    assert!(parsed > 50_000);
}
