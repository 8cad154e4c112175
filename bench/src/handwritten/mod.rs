//! The hand-written baseline: what an expert writes for one partner without hookmap. serde
//! derive on structs with only the fields needed, strings borrowed from the payload
//! (`Cow` with `#[serde(borrow)]`, owned only when the JSON has escapes), numbers kept as their
//! text (`&RawValue`) so they are copied exactly, records borrowing from the payload.

mod orders_batch;
mod seed_1_simple_form;
mod vendor_nested;

use std::borrow::Cow;

use hookmap::{Record, Value};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A hand-written mapper: payload in, records out.
pub type Handwritten = for<'a> fn(&'a [u8]) -> Result<Vec<Record<'a>>, String>;

/// The hand-written mapper of a workload, where there is one.
pub fn find(workload: &str) -> Option<Handwritten> {
    match workload {
        "seed_1_simple_form" => Some(seed_1_simple_form::map),
        "orders_batch" => Some(orders_batch::map),
        "vendor_nested" => Some(vendor_nested::map),
        _ => None,
    }
}

/// A string borrowed from the payload unless it holds escapes. A newtype because serde borrows
/// a `Cow<str>` only for a field of exactly that type, not inside an `Option`.
#[derive(Clone, Debug, Deserialize)]
struct Str<'a>(#[serde(borrow)] Cow<'a, str>);

fn string<'a>(s: &Str<'a>) -> Value<'a> {
    Value::String(s.0.clone())
}

fn number(raw: &RawValue) -> Value<'_> {
    Value::Number(Cow::Borrowed(raw.get()))
}
