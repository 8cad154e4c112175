//! Records as Data API bulk elements, the checks each element must pass before it is sent, and
//! the packing of elements into bulk calls.
//!
//! | record | element |
//! |---|---|
//! | event with `customer_id` | `{"type":"event","customer_id","actions":[{"action","attributes","platform","app_version","user_time","current_time"}]}` |
//! | its non-empty `user_attributes` | `{"type":"customer","customer_id","attributes",  "update_existing_only":false}`, before the event |
//! | users record | `{"type":"customer","customer_id","attributes","update_existing_only"}` |
//!
//! Elements are written straight from the records by `Serialize` impls over borrowed views; no
//! intermediate JSON tree is built.

use std::fmt;

use hookmap::{Attributes, Event, Platform, Profile, Value};
use hookmap_data_api as rules;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Most bytes of one bulk call's body ("at most 100 KB per call"; counted as 100,000 bytes so
/// either reading of KB is respected).
pub const MAX_BULK_BYTES: usize = 100_000;

const BULK_HEAD: &[u8] = br#"{"type":"transition","elements":["#;
const BULK_TAIL: &[u8] = b"]}";

/// The Data API's name for a record's platform. The Data API knows `ANDROID`, `iOS`, `web`,
/// `TV` and `unknown`; a mapper's `api` (a server-to-server sender) has no equivalent and is
/// sent as `unknown`.
pub fn platform(p: Platform) -> &'static str {
    match p {
        Platform::Web => "web",
        Platform::Android => "ANDROID",
        Platform::Ios => "iOS",
        Platform::Api => "unknown",
    }
}

/// Milliseconds since the epoch as ISO 8601 UTC to the second (`2024-01-01T00:00:00Z`, the form
/// the Data API documents); the milliseconds are dropped.
#[derive(Clone, Copy, Debug)]
pub struct Iso8601(pub i64);

impl fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        write!(f, "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

impl Serialize for Iso8601 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An event element: one action of one customer.
#[derive(Debug)]
pub struct EventElement<'a> {
    /// The identified customer (an anonymous event's, once its id is known).
    pub customer_id: &'a str,
    /// The event.
    pub event: &'a Event<'a>,
    /// When the element is sent, milliseconds since the epoch.
    pub current_time_ms: i64,
}

struct Action<'a>(&'a EventElement<'a>);

impl Serialize for EventElement<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(3))?;
        map.serialize_entry("type", "event")?;
        map.serialize_entry("customer_id", self.customer_id)?;
        map.serialize_entry("actions", &[Action(self)])?;
        map.end()
    }
}

impl Serialize for Action<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0.event;
        let mut map = s.serialize_map(Some(6))?;
        map.serialize_entry("action", &e.event_name)?;
        map.serialize_entry("attributes", &e.attr)?;
        map.serialize_entry("platform", platform(e.platform))?;
        map.serialize_entry("app_version", &e.app_version)?;
        map.serialize_entry("user_time", &Iso8601(e.user_time))?;
        map.serialize_entry("current_time", &Iso8601(self.0.current_time_ms))?;
        map.end()
    }
}

/// A customer element: attributes set on one customer's profile.
#[derive(Debug)]
pub struct CustomerElement<'a> {
    /// The customer.
    pub customer_id: &'a str,
    /// The attributes.
    pub attributes: &'a Attributes<'a>,
    /// Update only a profile MoEngage already has.
    pub update_existing_only: bool,
}

impl Serialize for CustomerElement<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("type", "customer")?;
        map.serialize_entry("customer_id", self.customer_id)?;
        map.serialize_entry("attributes", self.attributes)?;
        map.serialize_entry("update_existing_only", &self.update_existing_only)?;
        map.end()
    }
}

impl<'a> CustomerElement<'a> {
    /// The element of a users record.
    pub fn of_profile(p: &'a Profile<'a>) -> Self {
        CustomerElement {
            customer_id: &p.customer_id,
            attributes: &p.user_attributes,
            update_existing_only: p.update_existing_only.unwrap_or(false),
        }
    }
}

/// Appends `element`'s JSON to `out`.
pub fn write(out: &mut Vec<u8>, element: &impl Serialize) {
    // Writing these types into a Vec cannot fail: keys are strings, values are strings, bools
    // and the records' JSON values (whose JSON texts were validated when they were read). Should
    // it fail anyway, the partial output is cut off and the element is left empty, which the
    // caller refuses as an element with no bytes.
    let start = out.len();
    if serde_json::to_writer(&mut *out, element).is_err() {
        out.truncate(start);
    }
}

/// Checks an event element against the Data API's rules; the reason it would be refused.
pub fn check_event(customer_id: &str, e: &Event<'_>, now_ms: i64) -> Result<(), String> {
    check_customer_id(customer_id)?;
    if let Some(problem) = rules::name_problem(&e.event_name) {
        return Err(format!("event name {:?} {problem}", shorten(&e.event_name)));
    }
    if e.attr.len() > rules::MAX_EVENT_ATTRIBUTES {
        return Err(format!(
            "the event has {} attributes; the Data API keeps at most {}",
            e.attr.len(),
            rules::MAX_EVENT_ATTRIBUTES
        ));
    }
    if e.user_time > now_ms {
        return Err(format!(
            "user_time {} is in the future (now {}); the Data API refuses future-dated events",
            Iso8601(e.user_time),
            Iso8601(now_ms)
        ));
    }
    check_attributes(&e.attr, "event attribute")
}

/// Checks a customer element against the Data API's rules.
pub fn check_customer(customer_id: &str, attributes: &Attributes<'_>) -> Result<(), String> {
    check_customer_id(customer_id)?;
    check_attributes(attributes, "user attribute")
}

fn check_customer_id(id: &str) -> Result<(), String> {
    if rules::is_refused_customer_id(id) {
        return Err(format!("customer_id {:?} is a placeholder the Data API refuses", shorten(id)));
    }
    Ok(())
}

fn check_attributes(attributes: &Attributes<'_>, what: &str) -> Result<(), String> {
    for (name, value) in attributes.iter() {
        if let Some(problem) = rules::name_problem(name) {
            return Err(format!("{what} name {:?} {problem}", shorten(name)));
        }
        match value {
            Value::String(s) => {
                if let Some(chars) = rules::value_too_long(s) {
                    return Err(format!(
                        "{what} {name:?} is {chars} characters long; the Data API keeps at most {}",
                        rules::MAX_VALUE_CHARS
                    ));
                }
            }
            Value::Json(text) if text.starts_with('[') => {
                let items = serde_json::from_str::<Vec<serde::de::IgnoredAny>>(text).map_or(0, |v| v.len());
                if items > rules::MAX_ARRAY_ITEMS {
                    return Err(format!(
                        "{what} {name:?} is an array of {items} items; the Data API allows at most {}",
                        rules::MAX_ARRAY_ITEMS
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// At most 60 characters of `s`, for messages.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// What one element counts against the rate limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Items {
    /// Event actions.
    pub events: u64,
    /// Customer elements.
    pub users: u64,
}

/// Packs elements into bulk call bodies of at most [`MAX_BULK_BYTES`], in order.
#[derive(Debug, Default)]
pub struct Packer {
    body: Vec<u8>,
    members: Vec<usize>,
    items: Items,
}

/// One bulk call: its body and the indexes of the elements in it.
#[derive(Debug)]
pub struct Call {
    /// `{"type":"transition","elements":[…]}`.
    pub body: Vec<u8>,
    /// The elements it carries, by the caller's index.
    pub members: Vec<usize>,
    /// What it counts against the rate limits.
    pub items: Items,
}

impl Packer {
    /// Whether an element of `len` bytes fits in a bulk call at all.
    pub fn fits_alone(len: usize) -> bool {
        BULK_HEAD.len() + len + BULK_TAIL.len() <= MAX_BULK_BYTES
    }

    /// Adds element `index` (its JSON `bytes`); returns the call it closed, if adding it would
    /// have made the current one too large. `bytes` must fit alone.
    pub fn push(&mut self, index: usize, bytes: &[u8], items: Items) -> Option<Call> {
        let closed = if !self.members.is_empty()
            && self.body.len() + 1 + bytes.len() + BULK_TAIL.len() > MAX_BULK_BYTES
        {
            self.finish()
        } else {
            None
        };
        if self.members.is_empty() {
            self.body.extend_from_slice(BULK_HEAD);
        } else {
            self.body.push(b',');
        }
        self.body.extend_from_slice(bytes);
        self.members.push(index);
        self.items.events += items.events;
        self.items.users += items.users;
        closed
    }

    /// The call being filled, if it has elements.
    pub fn finish(&mut self) -> Option<Call> {
        if self.members.is_empty() {
            return None;
        }
        let mut body = std::mem::take(&mut self.body);
        body.extend_from_slice(BULK_TAIL);
        Some(Call {
            body,
            members: std::mem::take(&mut self.members),
            items: std::mem::take(&mut self.items),
        })
    }
}

/// The bulk call bodies of `records` (identified records only; anonymous events are left out,
/// as are elements failing a check): the encoding step of the forwarder on its own, for
/// benchmarks and tools. Returns the calls and the number of elements refused.
pub fn bulk_bodies(records: &[hookmap::Record<'_>], now_ms: i64) -> (Vec<Call>, usize) {
    let mut packer = Packer::default();
    let mut calls = Vec::new();
    let mut refused = 0;
    let mut buf = Vec::with_capacity(1024);
    let mut index = 0;
    let mut add = |bytes: &[u8], check: Result<(), String>, items: Items, calls: &mut Vec<Call>| {
        if check.is_err() || bytes.is_empty() || !Packer::fits_alone(bytes.len()) {
            refused += 1;
            return;
        }
        calls.extend(packer.push(index, bytes, items));
        index += 1;
    };
    for record in records {
        match record {
            hookmap::Record::Event(e) => {
                let Some(customer) = e.customer_id.as_deref() else { continue };
                if !e.user_attributes.is_empty() {
                    buf.clear();
                    write(
                        &mut buf,
                        &CustomerElement {
                            customer_id: customer,
                            attributes: &e.user_attributes,
                            update_existing_only: false,
                        },
                    );
                    add(
                        &buf,
                        check_customer(customer, &e.user_attributes),
                        Items { events: 0, users: 1 },
                        &mut calls,
                    );
                }
                buf.clear();
                write(&mut buf, &EventElement { customer_id: customer, event: e, current_time_ms: now_ms });
                add(&buf, check_event(customer, e, now_ms), Items { events: 1, users: 0 }, &mut calls);
            }
            hookmap::Record::User(p) => {
                buf.clear();
                write(&mut buf, &CustomerElement::of_profile(p));
                add(
                    &buf,
                    check_customer(&p.customer_id, &p.user_attributes),
                    Items { events: 0, users: 1 },
                    &mut calls,
                );
            }
        }
    }
    calls.extend(packer.finish());
    (calls, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(Iso8601(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Iso8601(1_704_067_200_999).to_string(), "2024-01-01T00:00:00Z");
        assert_eq!(Iso8601(951_782_400_000).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Iso8601(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(Iso8601(1_590_942_815_000).to_string(), "2020-05-31T16:33:35Z");
    }

    #[test]
    fn packing_respects_the_limit_and_order() {
        let element = vec![b'x'; 40_000];
        let mut packer = Packer::default();
        let mut calls = Vec::new();
        for i in 0..5 {
            calls.extend(packer.push(i, &element, Items { events: 1, users: 0 }));
        }
        calls.extend(packer.finish());
        assert_eq!(
            calls.iter().map(|c| c.members.clone()).collect::<Vec<_>>(),
            [vec![0, 1], vec![2, 3], vec![4]]
        );
        assert!(calls.iter().all(|c| c.body.len() <= MAX_BULK_BYTES));
        assert_eq!(calls[0].items.events, 2);
        assert!(!Packer::fits_alone(MAX_BULK_BYTES));
    }
}
