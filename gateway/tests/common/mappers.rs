//! Small hand-written mappers that produce real records, so the gateway's tests do not depend on
//! the compiler.
//!
//! `shop/events_v1` (events) takes `{"customer_id"?, "anon_id"?, "event", "time", "attr"?,
//! "user"?}` or `{"batch": [such objects]}`; `shop/users_v1` (users) takes `{"customer_id",
//! "user_time"?, "update_existing_only"?, "attributes"?}`.

#![allow(dead_code)]

use std::borrow::Cow;

use hookmap::{
    Attributes, Detail, Event, MapError, Mapper, MapperInfo, MappingType, Platform, Profile, Record, Value,
};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub const PARTNER: &str = "shop";

/// Events, one per payload or per element of `batch`.
#[derive(Debug)]
pub struct ShopEvents;
/// Profile updates.
#[derive(Debug)]
pub struct ShopUsers;
/// Maps every payload to an event without any id, which the store must refuse (whole).
#[derive(Debug)]
pub struct Broken;
/// Panics: a bug in a mapper must not take the gateway down.
#[derive(Debug)]
pub struct Panics;

static EVENTS: MapperInfo =
    MapperInfo { partner_name: PARTNER, config_name: "events_v1", mapping_type: MappingType::Events };
static USERS: MapperInfo =
    MapperInfo { partner_name: PARTNER, config_name: "users_v1", mapping_type: MappingType::Users };
static BROKEN: MapperInfo =
    MapperInfo { partner_name: PARTNER, config_name: "broken", mapping_type: MappingType::Events };
static PANICS: MapperInfo =
    MapperInfo { partner_name: PARTNER, config_name: "panics", mapping_type: MappingType::Events };

/// Every test mapper.
pub static ALL: &[&dyn Mapper] = &[&ShopEvents, &ShopUsers, &Broken, &Panics];

/// A JSON object with its values as raw text, so numbers are copied exactly as sent.
type Obj<'a> = BTreeMap<String, &'a RawValue>;

fn parse<'a, T: serde::Deserialize<'a>>(text: &'a [u8]) -> Result<T, MapError> {
    serde_json::from_slice(text).map_err(|e| MapError::invalid_payload(&e))
}

fn missing(field: &'static str, index: Option<usize>) -> Detail {
    let mut d = Detail::new(format!("Required field '{field}' is missing in the payload"));
    d.field = Some(Cow::Borrowed(field));
    d.index = index;
    d
}

fn value(raw: &RawValue) -> Option<Value<'static>> {
    let text = raw.get();
    Some(match text.as_bytes().first()? {
        b'n' => return None,
        b't' => Value::Bool(true),
        b'f' => Value::Bool(false),
        b'"' => Value::String(Cow::Owned(serde_json::from_str(text).ok()?)),
        b'{' | b'[' => Value::Json(Cow::Owned(text.to_owned())),
        _ => Value::Number(Cow::Owned(text.to_owned())),
    })
}

fn attributes(raw: Option<&&RawValue>) -> Attributes<'static> {
    let mut out = Attributes::new();
    if let Some(Ok(map)) = raw.map(|r| serde_json::from_str::<Obj<'_>>(r.get())) {
        for (k, v) in map {
            if let Some(v) = value(v) {
                out.insert(k, v);
            }
        }
    }
    out
}

/// A string, or an integer as its text.
fn id(raw: Option<&&RawValue>) -> Option<Cow<'static, str>> {
    match value(raw?)? {
        Value::String(s) => Some(s),
        Value::Number(n) if n.bytes().all(|b| b.is_ascii_digit() || b == b'-') => Some(n),
        _ => None,
    }
}

fn event(item: &Obj<'_>, index: Option<usize>, details: &mut Vec<Detail>) -> Option<Record<'static>> {
    let customer_id = id(item.get("customer_id"));
    let anon_id = id(item.get("anon_id"));
    if customer_id.is_none() && anon_id.is_none() {
        details.push(missing("customer_id", index));
    }
    let name = item.get("event").and_then(|r| value(r)?.as_str().map(str::to_owned));
    if name.is_none() {
        details.push(missing("event_name", index));
    }
    let time = item.get("time").and_then(|r| value(r)?.as_i64());
    if time.is_none() {
        details.push(missing("user_time", index));
    }
    Some(Record::Event(Event {
        customer_id,
        anon_id,
        event_name: Cow::Owned(name?),
        user_time: time?,
        platform: Platform::Web,
        app_version: Cow::Borrowed("1.0.0"),
        attr: attributes(item.get("attr")),
        user_attributes: attributes(item.get("user")),
    }))
}

impl Mapper for ShopEvents {
    fn info(&self) -> &'static MapperInfo {
        &EVENTS
    }

    fn map<'a>(&self, payload: &'a [u8]) -> Result<Vec<Record<'a>>, MapError> {
        let top: Obj<'_> = parse(payload)?;
        let mut details = Vec::new();
        let records: Vec<_> = match top.get("batch") {
            Some(batch) => {
                let items: Vec<Obj<'_>> = parse(batch.get().as_bytes())?;
                items.iter().enumerate().filter_map(|(i, item)| event(item, Some(i), &mut details)).collect()
            }
            None => event(&top, None, &mut details).into_iter().collect(),
        };
        if details.is_empty() { Ok(records) } else { Err(MapError::new(details)) }
    }
}

impl Mapper for ShopUsers {
    fn info(&self) -> &'static MapperInfo {
        &USERS
    }

    fn map<'a>(&self, payload: &'a [u8]) -> Result<Vec<Record<'a>>, MapError> {
        let top: Obj<'_> = parse(payload)?;
        let Some(customer_id) = id(top.get("customer_id")) else {
            return Err(MapError::new(vec![missing("customer_id", None)]));
        };
        Ok(vec![Record::User(Profile {
            customer_id,
            user_time: top.get("user_time").and_then(|r| value(r)?.as_i64()),
            update_existing_only: top.get("update_existing_only").and_then(|r| match value(r)? {
                Value::Bool(b) => Some(b),
                _ => None,
            }),
            user_attributes: attributes(top.get("attributes")),
        })])
    }
}

impl Mapper for Broken {
    fn info(&self) -> &'static MapperInfo {
        &BROKEN
    }

    /// A valid event for `customer_id`, then one without any id.
    fn map<'a>(&self, payload: &'a [u8]) -> Result<Vec<Record<'a>>, MapError> {
        let top: Obj<'_> = parse(payload)?;
        let mut details = Vec::new();
        let good = event(&top, None, &mut details).ok_or_else(|| MapError::new(details))?;
        let Record::Event(mut bad) = good.clone() else { unreachable!() };
        bad.customer_id = None;
        bad.anon_id = None;
        Ok(vec![good, Record::Event(bad)])
    }
}

impl Mapper for Panics {
    fn info(&self) -> &'static MapperInfo {
        &PANICS
    }

    fn map<'a>(&self, _payload: &'a [u8]) -> Result<Vec<Record<'a>>, MapError> {
        panic!("a mapper bug")
    }
}
