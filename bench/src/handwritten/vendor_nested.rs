//! `vendor_nested` by hand: a few members of a large, deeply nested invoice event.

use std::borrow::Cow;

use hookmap::{Attributes, Event, Platform, Record, Value};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Str, number, string};

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, rename = "type")]
    kind: Str<'a>,
    created: i64,
    #[serde(borrow)]
    api_version: Str<'a>,
    livemode: Option<bool>,
    #[serde(borrow)]
    data: Data<'a>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    object: Invoice<'a>,
}

#[derive(Deserialize)]
struct Invoice<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    amount_paid: Option<&'a RawValue>,
    #[serde(borrow)]
    currency: Option<Str<'a>>,
    #[serde(borrow)]
    customer_email: Str<'a>,
    #[serde(borrow)]
    customer_name: Option<Str<'a>>,
    #[serde(borrow)]
    lines: Lines<'a>,
}

#[derive(Deserialize)]
struct Lines<'a> {
    #[serde(borrow)]
    data: Vec<Line<'a>>,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    amount: Option<&'a RawValue>,
    #[serde(borrow)]
    price: Option<Price<'a>>,
}

#[derive(Deserialize)]
struct Price<'a> {
    #[serde(borrow)]
    nickname: Option<Str<'a>>,
}

pub fn map(payload: &[u8]) -> Result<Vec<Record<'_>>, String> {
    let event: Envelope<'_> = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let invoice = &event.data.object;
    let mut attr = Attributes::with_capacity(6);
    if let Some(v) = &invoice.id {
        attr.push_new(Cow::Borrowed("invoice_id"), string(v));
    }
    if let Some(v) = invoice.amount_paid {
        attr.push_new(Cow::Borrowed("amount_paid"), number(v));
    }
    if let Some(v) = &invoice.currency {
        attr.push_new(Cow::Borrowed("currency"), string(v));
    }
    let lines = &invoice.lines.data;
    if let Some(v) = lines.first().and_then(|l| l.price.as_ref()).and_then(|p| p.nickname.as_ref()) {
        attr.push_new(Cow::Borrowed("plan"), string(v));
    }
    if let Some(v) = lines.last().and_then(|l| l.amount) {
        attr.push_new(Cow::Borrowed("last_line_amount"), number(v));
    }
    if let Some(v) = event.livemode {
        attr.push_new(Cow::Borrowed("livemode"), Value::Bool(v));
    }
    let mut user = Attributes::with_capacity(2);
    user.push_new(Cow::Borrowed("u_em"), string(&invoice.customer_email));
    if let Some(v) = &invoice.customer_name {
        user.push_new(Cow::Borrowed("u_n"), string(v));
    }
    Ok(vec![Record::Event(Event {
        customer_id: Some(invoice.customer_email.0.clone()),
        anon_id: None,
        event_name: event.kind.0,
        user_time: event.created.checked_mul(1000).ok_or("created is out of range")?,
        platform: Platform::Api,
        app_version: event.api_version.0,
        attr,
        user_attributes: user,
    })])
}
