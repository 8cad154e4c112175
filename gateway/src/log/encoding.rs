//! The log entry's encoding, version 1: one JSON object per entry.
//!
//! ```json
//! {"v":1,"request_id":"0c1b2e3f4a5b6c7d","workspace":"demo","partner":"contact_form",
//!  "mapping_type":"events","config_name":"seed_1_simple_form","received_at":1733270400000,
//!  "idempotency_key":"abc","records":[{"type":"event","customer_id":"john@example.com",…}]}
//! ```
//!
//! `records` holds the records exactly as `hookmap` serializes them (the records JSON of the
//! conformance suite: numbers keep their payload text); a refused payload has `"error"`, the
//! e_9004 body, instead. `idempotency_key` is absent when the request had none.
//!
//! JSON rather than a binary format: the attribute values are JSON texts already (a binary
//! encoding would carry them as strings and save only the member names, about 150 bytes an
//! entry), and a team reading the stream from another language needs nothing but a JSON
//! parser. A reader must check `v`: a later version may add members (readers of version 1
//! ignore members they do not know) or, for an incompatible change, raise `v`.

use std::borrow::Cow;
use std::fmt;

use hookmap::{Attributes, Event, MappingType, Platform, Profile, Record, Value};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::{Content, Entry};

/// The version this module writes and reads.
pub const VERSION: u32 = 1;

/// Encodes `entry` as version 1.
pub fn encode(entry: &Entry) -> Vec<u8> {
    #[derive(Serialize)]
    struct Out<'a> {
        v: u32,
        request_id: &'a str,
        workspace: &'a str,
        partner: &'a str,
        mapping_type: &'a str,
        config_name: &'a str,
        received_at: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        idempotency_key: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        records: Option<&'a [Record<'static>]>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a RawValue>,
    }
    let (records, error) = match &entry.content {
        Content::Records(records) => (Some(records.as_slice()), None),
        // The error body was made by serializing a MapError; should it somehow not be JSON,
        // it travels as a JSON string rather than breaking the entry.
        Content::Rejected(json) => (None, Some(json.as_str())),
    };
    let error_raw = error.map(|json| match serde_json::from_str::<&RawValue>(json) {
        Ok(raw) => Cow::Borrowed(raw),
        Err(_) => Cow::Owned(serde_json::value::to_raw_value(json).expect("a string serializes")),
    });
    let out = Out {
        v: VERSION,
        request_id: &entry.request_id,
        workspace: &entry.workspace,
        partner: &entry.partner,
        mapping_type: entry.mapping_type.as_str(),
        config_name: &entry.config_name,
        received_at: entry.received_at_ms,
        idempotency_key: entry.idempotency_key.as_deref(),
        records,
        error: error_raw.as_deref(),
    };
    // Serializing these types to a Vec cannot fail: every map key is a string and no value
    // has a fallible Serialize.
    serde_json::to_vec(&out).expect("log entries always serialize")
}

/// Why bytes are not a log entry this version can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a hookmap log entry: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

/// Decodes an entry written by [`encode`] (or by any writer of version 1).
pub fn decode(bytes: &[u8]) -> Result<Entry, DecodeError> {
    #[derive(Deserialize)]
    struct In<'a> {
        v: u32,
        request_id: String,
        workspace: String,
        partner: String,
        mapping_type: String,
        config_name: String,
        received_at: i64,
        #[serde(default)]
        idempotency_key: Option<String>,
        #[serde(default)]
        records: Option<Vec<RecordIn>>,
        #[serde(default, borrow)]
        error: Option<&'a RawValue>,
    }
    let bad = |m: String| DecodeError(m);
    let input: In<'_> = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if input.v != VERSION {
        return Err(bad(format!("version {} (this gateway reads version {VERSION})", input.v)));
    }
    let mapping_type = match input.mapping_type.as_str() {
        "events" => MappingType::Events,
        "users" => MappingType::Users,
        other => return Err(bad(format!("mapping_type {other:?}"))),
    };
    let content = match (input.records, input.error) {
        (Some(records), None) => Content::Records(records.into_iter().map(|r| r.0).collect()),
        (None, Some(error)) => Content::Rejected(error.get().to_owned()),
        _ => return Err(bad("exactly one of records and error must be present".into())),
    };
    Ok(Entry {
        request_id: input.request_id,
        workspace: input.workspace.into(),
        partner: input.partner,
        mapping_type,
        config_name: input.config_name,
        received_at_ms: input.received_at,
        idempotency_key: input.idempotency_key,
        content,
    })
}

/// A record read back from its records JSON.
struct RecordIn(Record<'static>);

impl<'de> Deserialize<'de> for RecordIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = RecordIn;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecordIn, A::Error> {
        let mut kind: Option<String> = None;
        let mut customer_id: Option<String> = None;
        let mut anon_id: Option<String> = None;
        let mut event_name: Option<String> = None;
        let mut user_time: Option<i64> = None;
        let mut platform: Option<String> = None;
        let mut app_version: Option<String> = None;
        let mut update_existing_only: Option<bool> = None;
        let mut attr = None;
        let mut user_attributes = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "type" => kind = Some(map.next_value()?),
                "customer_id" => customer_id = Some(map.next_value()?),
                "anon_id" => anon_id = Some(map.next_value()?),
                "event_name" => event_name = Some(map.next_value()?),
                "user_time" => user_time = Some(map.next_value()?),
                "platform" => platform = Some(map.next_value()?),
                "app_version" => app_version = Some(map.next_value()?),
                "update_existing_only" => update_existing_only = Some(map.next_value()?),
                "attr" => attr = Some(map.next_value::<AttributesIn>()?.0),
                "user_attributes" => user_attributes = Some(map.next_value::<AttributesIn>()?.0),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        let missing = |field: &'static str| de::Error::missing_field(field);
        match kind.as_deref() {
            Some("event") => {
                if customer_id.is_none() && anon_id.is_none() {
                    return Err(de::Error::custom("an event needs customer_id or anon_id"));
                }
                let platform = match platform.as_deref() {
                    Some(name) => Platform::ALL
                        .into_iter()
                        .find(|p| p.as_str() == name)
                        .ok_or_else(|| de::Error::custom(format!("unknown platform {name:?}")))?,
                    None => return Err(missing("platform")),
                };
                Ok(RecordIn(Record::Event(Event {
                    customer_id: customer_id.map(Cow::Owned),
                    anon_id: anon_id.map(Cow::Owned),
                    event_name: Cow::Owned(event_name.ok_or_else(|| missing("event_name"))?),
                    user_time: user_time.ok_or_else(|| missing("user_time"))?,
                    platform,
                    app_version: Cow::Owned(app_version.ok_or_else(|| missing("app_version"))?),
                    attr: attr.unwrap_or_default(),
                    user_attributes: user_attributes.unwrap_or_default(),
                })))
            }
            Some("user") => Ok(RecordIn(Record::User(Profile {
                customer_id: Cow::Owned(customer_id.ok_or_else(|| missing("customer_id"))?),
                user_time,
                update_existing_only,
                user_attributes: user_attributes.unwrap_or_default(),
            }))),
            Some(other) => Err(de::Error::custom(format!("unknown record type {other:?}"))),
            None => Err(missing("type")),
        }
    }
}

/// Attributes in their order, each value kept as its exact JSON text.
struct AttributesIn(Attributes<'static>);

impl<'de> Deserialize<'de> for AttributesIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttributesIn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attributes object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributesIn, A::Error> {
                let mut attributes = Attributes::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key::<String>()? {
                    let raw = map.next_value::<Box<RawValue>>()?;
                    attributes.insert(key, value_of(raw.get()).map_err(de::Error::custom)?);
                }
                Ok(AttributesIn(attributes))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// The attribute value whose JSON text is `text`.
fn value_of(text: &str) -> Result<Value<'static>, String> {
    Ok(match text.as_bytes().first() {
        Some(b't') => Value::Bool(true),
        Some(b'f') => Value::Bool(false),
        Some(b'"') => Value::String(Cow::Owned(serde_json::from_str(text).map_err(|e| e.to_string())?)),
        Some(b'{' | b'[') => Value::Json(Cow::Owned(text.to_owned())),
        Some(b'n') => return Err("an attribute is never null".into()),
        _ => Value::Number(Cow::Owned(text.to_owned())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(content: Content) -> Entry {
        Entry {
            request_id: "r1".into(),
            workspace: "demo".into(),
            partner: "shop".into(),
            mapping_type: MappingType::Events,
            config_name: "orders".into(),
            received_at_ms: 1_733_270_400_123,
            idempotency_key: Some("k\u{e9}y".into()),
            content,
        }
    }

    #[test]
    fn records_round_trip_exactly() {
        let mut attr = Attributes::new();
        attr.insert("price", Value::Number("149.50".into()));
        attr.insert("big", Value::Number("98765432109876543210".into()));
        attr.insert("neg_zero", Value::Number("-0".into()));
        attr.insert("name", Value::String("caf\u{e9} \"quoted\"".into()));
        attr.insert("items", Value::Json(r#"[1,{"a":2}]"#.into()));
        attr.insert("ok", Value::Bool(false));
        let mut user_attributes = Attributes::new();
        user_attributes.insert("u_em", Value::String("a@b.c".into()));
        let records = vec![
            Record::Event(Event {
                customer_id: None,
                anon_id: Some("anon-1".into()),
                event_name: "Order".into(),
                user_time: -5,
                platform: Platform::Ios,
                app_version: "1.2".into(),
                attr,
                user_attributes: user_attributes.clone(),
            }),
            Record::User(Profile {
                customer_id: "c1".into(),
                user_time: None,
                update_existing_only: Some(true),
                user_attributes,
            }),
        ];
        let original = entry(Content::Records(records));
        let bytes = encode(&original);
        assert_eq!(decode(&bytes).unwrap(), original);
        // The records member is the records JSON the mapper's output serializes to.
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with(r#"{"v":1,"request_id":"r1","#), "{text}");
        assert!(
            text.contains(r#""attr":{"price":149.50,"big":98765432109876543210,"neg_zero":-0,"#),
            "{text}"
        );
    }

    #[test]
    fn a_refused_payload_keeps_its_error_body() {
        let original = entry(Content::Rejected(r#"{"error":{"code":"e_9004"}}"#.into()));
        let bytes = encode(&original);
        assert!(!String::from_utf8_lossy(&bytes).contains("records"));
        assert_eq!(decode(&bytes).unwrap(), original);
    }

    #[test]
    fn other_versions_and_shapes_are_refused_with_a_reason() {
        let bytes = encode(&entry(Content::Records(Vec::new())));
        let text = String::from_utf8(bytes).unwrap();
        let v2 = text.replace("\"v\":1", "\"v\":2");
        assert!(decode(v2.as_bytes()).unwrap_err().0.contains("version 2"));
        let both = text.replace("\"records\":[]", "\"records\":[],\"error\":{}");
        assert!(decode(both.as_bytes()).unwrap_err().0.contains("exactly one"));
        assert!(decode(b"{}").is_err());
        assert!(decode(b"\xff").is_err());
        let future = text.replace("\"v\":1", "\"v\":1,\"added_later\":[1]");
        assert!(decode(future.as_bytes()).is_ok(), "unknown members are ignored");
    }
}
