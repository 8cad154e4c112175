//! Golden tests of mappers: sample payloads with the records (or the error) each must produce.
//!
//! The convention, for a project with `mappers/NAME.json`:
//!
//! ```text
//! mappers/lead_form.json
//! tests/lead_form/contact_us.json            a payload
//! tests/lead_form/contact_us.records.json    what it must produce: the records JSON array,
//!                                            or the error JSON ({"error": {...}}) for a payload
//!                                            the mapper refuses
//! ```
//!
//! `hookmap test` runs every case with the evaluator (no build needed) and `--bless` writes the
//! current outputs. The same files are checked against the compiled mapper, the code that ships,
//! from a `cargo test` of the user's crate with one call:
//!
//! ```ignore
//! #[test]
//! fn lead_form_matches_its_golden_files() {
//!     hookmap_compiler::golden::assert_cases(&LeadForm, "tests/lead_form");
//! }
//! ```
//!
//! Outputs are compared as JSON values: formatting and the order of an object's members do not
//! matter; the order of records does.

use std::path::{Path, PathBuf};

use hookmap_core::{MapError, Mapper, Record};
use serde_json::Value;

/// One payload and the file with what it must produce.
#[derive(Clone, Debug)]
pub struct Case {
    /// The payload file.
    pub payload: PathBuf,
    /// `NAME.records.json` beside it.
    pub expected: PathBuf,
}

impl Case {
    /// The case's name: the payload's file stem.
    pub fn name(&self) -> String {
        self.payload.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// The cases in `dir`, by name: every `*.json` but the `*.records.json`.
pub fn cases(dir: &Path) -> std::io::Result<Vec<Case>> {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        if !path.is_file() || !name.ends_with(".json") || name.ends_with(".records.json") {
            continue;
        }
        let expected = path.with_file_name(format!("{}.records.json", name.trim_end_matches(".json")));
        cases.push(Case { payload: path, expected });
    }
    cases.sort_by(|a, b| a.payload.cmp(&b.payload));
    Ok(cases)
}

/// The JSON a mapping produced: the records array, or the error body.
pub fn output(result: &Result<Vec<Record<'_>>, MapError>) -> Value {
    let value = match result {
        Ok(records) => serde_json::to_value(records),
        Err(error) => serde_json::to_value(error),
    };
    value.unwrap_or_else(|e| Value::String(format!("unserializable output: {e}")))
}

/// How one case went.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The output is the expected one.
    Pass,
    /// It differs: a line diff of the two, pretty-printed.
    Fail {
        /// `-` expected, `+` actual.
        diff: String,
        /// The output, pretty-printed (what `--bless` writes).
        actual: String,
    },
    /// There is no expected output yet.
    Missing {
        /// The output, pretty-printed.
        actual: String,
    },
    /// A file could not be read or is no JSON.
    Broken {
        /// Why.
        reason: String,
    },
}

/// Runs `case` with `map` and compares the output with the expected file.
pub fn run(case: &Case, map: &dyn Fn(&[u8]) -> Value) -> Outcome {
    let payload = match std::fs::read(&case.payload) {
        Ok(bytes) => bytes,
        Err(e) => return Outcome::Broken { reason: format!("{}: {e}", case.payload.display()) },
    };
    let actual = map(&payload);
    let expected = match std::fs::read_to_string(&case.expected) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Outcome::Missing { actual: pretty(&actual) };
        }
        Err(e) => return Outcome::Broken { reason: format!("{}: {e}", case.expected.display()) },
    };
    let expected: Value = match serde_json::from_str(&expected) {
        Ok(value) => value,
        Err(e) => return Outcome::Broken { reason: format!("{}: not JSON: {e}", case.expected.display()) },
    };
    if expected == actual {
        return Outcome::Pass;
    }
    let actual = pretty(&actual);
    Outcome::Fail { diff: diff(&pretty(&expected), &actual, "expected", "actual"), actual }
}

/// Pretty JSON with a final newline, as golden files are written.
pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// A unified line diff: `-` lines of `old`, `+` lines of `new`, three lines of context.
pub fn diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// Checks every case in `dir` against a compiled mapper; panics with every mismatch and its
/// diff. For a user's `cargo test`; a relative `dir` is taken from the crate's root, where
/// `cargo test` runs.
pub fn assert_cases(mapper: &dyn Mapper, dir: impl AsRef<Path>) {
    let dir = dir.as_ref();
    let cases = cases(dir).unwrap_or_else(|e| panic!("golden cases in {}: {e}", dir.display()));
    assert!(!cases.is_empty(), "no golden cases in {}", dir.display());
    let map = |payload: &[u8]| output(&mapper.map(payload));
    let mut failures = Vec::new();
    for case in &cases {
        match run(case, &map) {
            Outcome::Pass => {}
            Outcome::Fail { diff, .. } => {
                failures.push(format!("{}: output differs\n{diff}", case.payload.display()))
            }
            Outcome::Missing { .. } => failures.push(format!(
                "{}: no {} (write it with `hookmap test --bless`)",
                case.payload.display(),
                case.expected.display()
            )),
            Outcome::Broken { reason } => failures.push(reason),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
