//! `seed_1_simple_form` by hand: one flat form submission, one event.

use std::borrow::Cow;

use hookmap::{Attributes, Event, Platform, Record};
use serde::Deserialize;

use super::{Str, string};

#[derive(Deserialize)]
struct Form<'a> {
    #[serde(borrow)]
    email: Str<'a>,
    #[serde(borrow)]
    first_name: Option<Str<'a>>,
    #[serde(borrow)]
    last_name: Option<Str<'a>>,
    #[serde(borrow)]
    form_name: Option<Str<'a>>,
    #[serde(borrow)]
    utm_source: Option<Str<'a>>,
    submitted_at: i64,
}

pub fn map(payload: &[u8]) -> Result<Vec<Record<'_>>, String> {
    let form: Form<'_> = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
    let mut attr = Attributes::with_capacity(2);
    if let Some(v) = &form.form_name {
        attr.push_new(Cow::Borrowed("form_name"), string(v));
    }
    if let Some(v) = &form.utm_source {
        attr.push_new(Cow::Borrowed("utm_source"), string(v));
    }
    let mut user = Attributes::with_capacity(3);
    user.push_new(Cow::Borrowed("u_em"), string(&form.email));
    if let Some(v) = &form.first_name {
        user.push_new(Cow::Borrowed("u_fn"), string(v));
    }
    if let Some(v) = &form.last_name {
        user.push_new(Cow::Borrowed("u_ln"), string(v));
    }
    Ok(vec![Record::Event(Event {
        customer_id: Some(form.email.0),
        anon_id: None,
        event_name: Cow::Borrowed("Form Submitted"),
        user_time: form.submitted_at,
        platform: Platform::Web,
        app_version: Cow::Borrowed("1.0.0"),
        attr,
        user_attributes: user,
    })])
}
