use std::borrow::Cow;

use serde::ser::{Serialize, Serializer};
use serde_json::value::RawValue;

/// An attribute value: what a mapper copies from a payload or a literal in the mapper.
///
/// Numbers keep the exact text they had in the payload, so copying never changes them
/// (`98765432109876543210` stays exact, `149.50` stays `149.50`). Objects and arrays are copied
/// as their JSON text. JSON `null` never appears: a path that finds `null` leaves the attribute out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number, as its text in the payload or mapper (always valid JSON number syntax).
    Number(Cow<'a, str>),
    /// A string, unescaped.
    String(Cow<'a, str>),
    /// An object or array, as JSON text (valid JSON).
    Json(Cow<'a, str>),
}

impl Value<'_> {
    /// Detaches the value from the payload it borrows from.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(Cow::Owned(n.into_owned())),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Json(j) => Value::Json(Cow::Owned(j.into_owned())),
        }
    }

    /// The string, when the value is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The number as `i64`, when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The number as `f64` (correctly rounded), when the value is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// The value as a `serde_json::Value`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            // Both were validated as JSON when they were read, so parsing cannot fail; the
            // fallback keeps this infallible without a panic path.
            Value::Number(text) | Value::Json(text) => {
                serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
            }
        }
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::String(s) => serializer.serialize_str(s),
            Value::Number(text) => {
                // `-0` parses as 0 but must stay `-0`: numbers are copied exactly.
                if let Ok(n) = text.parse::<i64>()
                    && !text.starts_with("-0")
                {
                    serializer.serialize_i64(n)
                } else {
                    raw(text, serializer)
                }
            }
            Value::Json(text) => raw(text, serializer),
        }
    }
}

/// Writes JSON text through as it is (serde_json writes a `RawValue` verbatim).
fn raw<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    let raw = RawValue::from_string(text.to_owned()).map_err(serde::ser::Error::custom)?;
    raw.serialize(serializer)
}
