//! Records as comparable JSON: the four implementations agree when these are equal.

use hookmap::Record;
use serde_json::Value;

/// The records JSON, with numbers compared by value (`149.50` and `149.5` are the same number;
/// the interpreter's `Value` keeps no number text). Object key order is not compared either:
/// the interpreter reads the mapper into a `serde_json::Map`, which sorts keys.
pub fn records_json(records: &[Record<'_>]) -> Result<Value, String> {
    serde_json::to_value(records).map(|v| normalize(&v)).map_err(|e| e.to_string())
}

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
