//! The mappers the `hookmap-gateway` binary serves.
//!
//! SEAM: once `hookmap_compiler::Builder` is ready, a `gateway/build.rs` compiles every
//! `gateway/mappers/*.json` into `$OUT_DIR/<config_name>.rs`, and this module becomes
//!
//! ```ignore
//! hookmap::include_mapper!("lead_form");   // pub struct LeadForm;
//! pub static MAPPERS: &[&dyn hookmap::Mapper] = &[&LeadForm];
//! ```
//!
//! (or an `include!` of a list the build script writes), and the hand-written stand-in below is
//! deleted. Until then the stand-in maps `mappers/lead_form.json` by hand, so the binary (and its
//! crash test, which posts to `webforms`/`lead_form`) has a real mapper to serve. See
//! `docs/gateway.md`, "Plugging in compiled mappers".

use std::borrow::Cow;

use hookmap::{
    Attributes, Detail, Event, MapError, Mapper, MapperInfo, MappingType, Platform, Record, Value,
};

/// Every mapper compiled into the binary.
pub static MAPPERS: &[&dyn Mapper] = &[&LeadForm];

/// Hand-written stand-in for the mapper generated from `mappers/lead_form.json`.
#[derive(Debug)]
pub struct LeadForm;

static LEAD_FORM: MapperInfo =
    MapperInfo { partner_name: "webforms", config_name: "lead_form", mapping_type: MappingType::Events };

impl Mapper for LeadForm {
    fn info(&self) -> &'static MapperInfo {
        &LEAD_FORM
    }

    fn map<'a>(&self, payload: &'a [u8]) -> Result<Vec<Record<'a>>, MapError> {
        let json: serde_json::Value =
            serde_json::from_slice(payload).map_err(|e| MapError::invalid_payload(&e))?;
        let field = |name: &str| json.get(name).filter(|v| !v.is_null());
        let mut details = Vec::new();
        let customer_id = match field("email") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) if n.is_u64() || n.is_i64() => Some(n.to_string()),
            _ => {
                details.push(required("customer_id", "$.email", "/email"));
                None
            }
        };
        let user_time = match field("submitted_at").and_then(serde_json::Value::as_i64) {
            Some(t) => Some(t),
            None => {
                details.push(required("user_time", "$.submitted_at", "/submitted_at"));
                None
            }
        };
        let (Some(customer_id), Some(user_time)) = (customer_id, user_time) else {
            return Err(MapError::new(details));
        };
        let copy = |attributes: &mut Attributes<'a>, key: &'static str, name: &str| {
            if let Some(v) = field(name) {
                attributes.insert(key, value(v));
            }
        };
        let mut attr = Attributes::new();
        copy(&mut attr, "form_name", "form_name");
        copy(&mut attr, "utm_source", "utm_source");
        let mut user_attributes = Attributes::new();
        copy(&mut user_attributes, "u_em", "email");
        copy(&mut user_attributes, "u_fn", "first_name");
        copy(&mut user_attributes, "u_ln", "last_name");
        copy(&mut user_attributes, "u_mb", "phone");
        Ok(vec![Record::Event(Event {
            customer_id: Some(Cow::Owned(customer_id)),
            anon_id: None,
            event_name: Cow::Borrowed("Form Submitted"),
            user_time,
            platform: Platform::Web,
            app_version: Cow::Borrowed("1.0.0"),
            attr,
            user_attributes,
        })])
    }
}

fn required(field: &'static str, path: &'static str, pointer: &str) -> Detail {
    let mut detail = Detail::new(format!("Required field '{field}' is missing in the payload"));
    detail.field = Some(Cow::Borrowed(field));
    detail.path = Some(Cow::Borrowed(path));
    detail.pointer = Some(pointer.to_owned());
    detail
}

/// A JSON value as an attribute value (numbers as serde_json prints them: the generated
/// mapper keeps the payload's own spelling, which this stand-in does not try to).
fn value(v: &serde_json::Value) -> Value<'static> {
    match v {
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(Cow::Owned(n.to_string())),
        serde_json::Value::String(s) => Value::String(Cow::Owned(s.clone())),
        other => Value::Json(Cow::Owned(other.to_string())),
    }
}
