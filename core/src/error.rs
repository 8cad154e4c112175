use std::borrow::Cow;
use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// The message of the error for a payload that is not JSON, as the webhook API words it.
pub const INVALID_PAYLOAD: &str = "The provided payload is invalid";

/// Why a payload could not be mapped. Nothing of such a payload is imported.
///
/// Serializes to the webhook API's error body:
/// `{"error": {"code": "e_9004", "message": …, "target": "payload_validation", "details": […]}}`.
/// It holds at least one [`Detail`]; `message` repeats the first detail's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapError {
    details: Vec<Detail>,
}

/// One problem found in a payload, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    /// What is wrong, in words.
    pub message: String,
    /// The output field concerned, such as `customer_id` or `attr.order_id`.
    pub field: Option<Cow<'static, str>>,
    /// The mapper's JSONPath for that field or validation.
    pub path: Option<Cow<'static, str>>,
    /// Where in the payload (RFC 6901 JSON pointer).
    pub pointer: Option<String>,
    /// The batch item (0-based position in the outermost `[*]` array) of a batching mapper.
    pub index: Option<usize>,
    /// 1-based line and column of a JSON syntax error in the payload.
    pub position: Option<(usize, usize)>,
}

impl Detail {
    /// A detail with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        Detail {
            message: message.into(),
            field: None,
            path: None,
            pointer: None,
            index: None,
            position: None,
        }
    }
}

impl MapError {
    /// An error made of `details`, which must not be empty (an empty list becomes the
    /// invalid-payload error rather than an error without a message).
    pub fn new(details: Vec<Detail>) -> Self {
        if details.is_empty() {
            return MapError { details: vec![Detail::new(INVALID_PAYLOAD)] };
        }
        MapError { details }
    }

    /// The error for a payload that is not valid JSON (or not UTF-8, or nested too deep).
    pub fn invalid_payload(error: &serde_json::Error) -> Self {
        let mut detail = Detail::new(INVALID_PAYLOAD);
        if error.line() > 0 {
            detail.position = Some((error.line(), error.column()));
        }
        MapError { details: vec![detail] }
    }

    /// The error for a payload that is not JSON, at a 1-based line and column.
    pub fn invalid_payload_at(line: usize, column: usize) -> Self {
        let mut detail = Detail::new(INVALID_PAYLOAD);
        detail.position = Some((line, column));
        MapError { details: vec![detail] }
    }

    /// The error code, always `e_9004`.
    pub fn code(&self) -> &'static str {
        "e_9004"
    }

    /// The error target, always `payload_validation`.
    pub fn target(&self) -> &'static str {
        "payload_validation"
    }

    /// The first detail's message.
    pub fn message(&self) -> &str {
        &self.details[0].message
    }

    /// Every problem found, in payload order.
    pub fn details(&self) -> &[Detail] {
        &self.details
    }

    /// Whether this is the error for a payload that is not JSON.
    pub fn is_invalid_payload(&self) -> bool {
        self.details.len() == 1 && self.details[0].message == INVALID_PAYLOAD
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.details.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            f.write_str(&d.message)?;
            if let Some(index) = d.index {
                write!(f, " (batch item {index})")?;
            }
            if let Some(pointer) = &d.pointer {
                write!(f, " at {pointer}")?;
            }
            if let Some((line, column)) = d.position {
                write!(f, " at line {line} column {column}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for MapError {}

impl Serialize for MapError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Body<'e>(&'e MapError);
        impl Serialize for Body<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("code", self.0.code())?;
                map.serialize_entry("message", self.0.message())?;
                map.serialize_entry("target", self.0.target())?;
                map.serialize_entry("details", &self.0.details)?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("error", &Body(self))?;
        map.end()
    }
}

impl Serialize for Detail {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", "e_9004")?;
        map.serialize_entry("target", "payload_validation")?;
        map.serialize_entry("message", &self.message)?;
        if let Some(field) = &self.field {
            map.serialize_entry("field", field)?;
        }
        if let Some(path) = &self.path {
            map.serialize_entry("path", path)?;
        }
        if let Some(pointer) = &self.pointer {
            map.serialize_entry("pointer", pointer)?;
        }
        if let Some(index) = self.index {
            map.serialize_entry("index", &index)?;
        }
        if let Some((line, column)) = self.position {
            map.serialize_entry("line", &line)?;
            map.serialize_entry("column", &column)?;
        }
        map.end()
    }
}
