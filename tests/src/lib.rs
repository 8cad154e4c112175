//! The conformance harness: runs a case of `../shared/conformance/cases` through a compiled
//! mapper and compares the result with the case's expected records or error.

use std::path::{Path, PathBuf};

use hookmap::Mapper;
use serde_json::Value;

/// The conformance suite's case directory.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/cases")
}

/// One payload of a case and what it must produce.
#[derive(Debug)]
pub struct Exchange {
    /// `payload.json` or `payload-N.json`.
    pub payload: PathBuf,
    /// The expected records, or the expected error (`error*.json`).
    pub expected: Expected,
}

/// What a payload must produce.
#[derive(Debug)]
pub enum Expected {
    /// A records JSON array.
    Records(Value),
    /// An error description: code, target, optional message, details keys.
    Error(Value),
}

/// The payloads of a case with their expectations, in name order.
pub fn exchanges(case: &str) -> Result<Vec<Exchange>, String> {
    let dir = cases_dir().join(case);
    let mut payloads: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("payload")))
        .collect();
    payloads.sort();
    let mut out = Vec::new();
    for payload in payloads {
        let name = payload.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let suffix = name.trim_start_matches("payload");
        let records = dir.join(format!("expected{suffix}"));
        let error = dir.join(format!("error{suffix}"));
        let expected = if records.is_file() {
            Expected::Records(read_json(&records)?)
        } else if error.is_file() {
            Expected::Error(read_json(&error)?)
        } else {
            return Err(format!("{}: no expected{suffix} or error{suffix}", dir.display()));
        };
        out.push(Exchange { payload, expected });
    }
    if out.is_empty() {
        return Err(format!("{}: no payloads", dir.display()));
    }
    Ok(out)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs one exchange; `Err` says how the result differs from the expectation.
pub fn check(mapper: &dyn Mapper, exchange: &Exchange) -> Result<(), String> {
    let bytes = std::fs::read(&exchange.payload).map_err(|e| e.to_string())?;
    let result = mapper.map(&bytes);
    let name = exchange.payload.display();
    match (&exchange.expected, result) {
        (Expected::Records(expected), Ok(records)) => {
            let actual = serde_json::to_value(&records).map_err(|e| e.to_string())?;
            if normalize(&actual) == normalize(expected) {
                Ok(())
            } else {
                Err(format!("{name}: records differ\n  expected: {expected}\n  actual:   {actual}"))
            }
        }
        (Expected::Records(_), Err(e)) => Err(format!("{name}: expected records, got error: {e}")),
        (Expected::Error(_), Ok(records)) => Err(format!(
            "{name}: expected an error, got records: {}",
            serde_json::to_string(&records).unwrap_or_default()
        )),
        (Expected::Error(expected), Err(e)) => {
            let actual = serde_json::to_value(&e).map_err(|e| e.to_string())?;
            compare_error(expected, &actual["error"])
                .map_err(|why| format!("{name}: {why}\n  actual: {actual}"))
        }
    }
}

/// Checks an error body against an `error*.json` description.
fn compare_error(expected: &Value, actual: &Value) -> Result<(), String> {
    for key in ["code", "target", "message"] {
        if let Some(want) = expected.get(key)
            && actual.get(key) != Some(want)
        {
            return Err(format!("error {key} is {:?}, expected {want}", actual.get(key)));
        }
    }
    let top_message = actual.get("message");
    let details = actual.get("details").and_then(Value::as_array).ok_or("error has no details")?;
    if details.first().and_then(|d| d.get("message")) != top_message {
        return Err("error message does not repeat the first detail's message".into());
    }
    if let Some(want) = expected.get("details").and_then(Value::as_array) {
        if want.len() != details.len() {
            return Err(format!("{} details, expected {}", details.len(), want.len()));
        }
        for (i, (w, d)) in want.iter().zip(details).enumerate() {
            for (key, value) in w.as_object().into_iter().flatten() {
                if d.get(key) != Some(value) {
                    return Err(format!("detail {i}: {key} is {:?}, expected {value}", d.get(key)));
                }
            }
        }
    }
    Ok(())
}

/// Numbers compare by value (`149.50` equals `149.5`).
fn normalize(value: &Value) -> Value {
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::from(i),
            (_, Some(u), _) => Value::from(u),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

/// A generated nodelist function of the JSONPath CTS: `$` in, the selected nodes out, in order.
pub type QueryFn = for<'n, 'a> fn(&'n hookmap::__private::Json<'a>) -> Vec<&'n hookmap::__private::Json<'a>>;

/// One test of the JSONPath Compliance Test Suite, as `build.rs` wrote it into
/// `$OUT_DIR/jsonpath_cts.rs`.
#[derive(Debug)]
pub struct CtsCase {
    /// The test's name.
    pub name: &'static str,
    /// The query.
    pub selector: &'static str,
    /// Whether the suite says the selector is invalid.
    pub invalid: bool,
    /// Whether the compiler accepted the selector.
    pub compiled: bool,
    /// The compiled query, for accepted selectors.
    pub run: Option<QueryFn>,
    /// The document, as JSON text.
    pub document: &'static str,
    /// The allowed nodelists, each a JSON array text.
    pub results: &'static [&'static str],
}
