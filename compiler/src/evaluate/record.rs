//! Building the records: each field converted once, in the scope where its value lives and in the
//! order the generated code converts them, then a record in the deepest scope when every field
//! has a value.

use std::borrow::Cow;

use hookmap_core::__private::{self as rt, Problem, Raw};
use hookmap_core::{Attributes, Event, Profile, Record, Value};

use super::read::Frame;
use super::{Run, index_of};
use crate::date::{self, TimeFormat};
use crate::ir::{AttributesPlan, Input, Slot, TimeInput, TimePlan};
use crate::model::{Literal, MappingType, Platform};

/// The converted fields of the scopes entered so far; `None` after a problem (or before the
/// field's scope was reached, which cannot happen by the time a record is built).
#[derive(Clone, Default)]
pub(super) struct Fields<'a> {
    customer_id: Option<Option<Cow<'a, str>>>,
    anon_id: Option<Option<Cow<'a, str>>>,
    ids: Option<Ids<'a>>,
    event_name: Option<Cow<'a, str>>,
    date: Option<Cow<'a, str>>,
    time: Option<Cow<'a, str>>,
    user_time: Option<i64>,
    app_version: Option<Cow<'a, str>>,
    attr_members: Option<Members<'a>>,
    user_attributes_members: Option<Members<'a>>,
}

/// `customer_id` and `anon_id` of an event that reads both.
type Ids<'a> = (Option<Cow<'a, str>>, Option<Cow<'a, str>>);

type Members<'a> = Option<Vec<(Cow<'a, str>, Value<'a>)>>;

/// Where the values of the current scope are, to convert them as the generated code does.
struct Place<'x, 'p, 'r, 'a> {
    run: &'x Run<'p, 'r, 'a>,
    frames: &'x [Frame<'a>],
    indices: &'x [usize],
}

impl<'a> Place<'_, '_, '_, 'a> {
    /// Field `name` from the value of `slot` (read by the mapper's `path`), converted with
    /// `convert`; `None` after recording its problem with the slot's batch index and pointer.
    fn field<T>(
        &self,
        problems: &mut rt::Sink,
        slot: Slot,
        path: &str,
        name: &'static str,
        convert: impl FnOnce(Option<Raw<'a>>) -> Result<T, Problem>,
    ) -> Option<T> {
        let value = self.run.value(self.frames, slot);
        problems.field(convert(value), name, path.to_owned(), index_of(slot.scope, self.indices), || {
            self.run.pointer(slot, self.frames, self.indices)
        })
    }
}

impl<'a> Run<'_, '_, 'a> {
    /// Converts the fields whose values live in `scope`, in the order the generated code does.
    pub(super) fn fields(
        &self,
        scope: usize,
        fields: &mut Fields<'a>,
        frames: &[Frame<'a>],
        indices: &[usize],
        problems: &mut rt::Sink,
    ) {
        let r = &self.plan.record;
        let at = Place { run: self, frames, indices };
        let here = |slot: &Slot| slot.scope == scope;
        let required_id = |v| rt::required(rt::identifier(v));

        if self.plan.mapping_type == MappingType::Events {
            match (&r.customer_id, &r.anon_id) {
                (Some(Input::Literal(_)), Some(Input::Read { slot, path })) if here(slot) => {
                    fields.anon_id = at.field(problems, *slot, path, "anon_id", rt::identifier);
                }
                (Some(Input::Read { slot, path }), None) if here(slot) => {
                    fields.customer_id =
                        at.field(problems, *slot, path, "customer_id", required_id).map(Some);
                }
                (None, Some(Input::Read { slot, path })) if here(slot) => {
                    fields.anon_id = at.field(problems, *slot, path, "anon_id", required_id).map(Some);
                }
                (Some(Input::Read { slot: cs, path: cp }), Some(aid)) => {
                    if here(cs) {
                        fields.customer_id = at.field(problems, *cs, cp, "customer_id", rt::identifier);
                    }
                    let aid_home = match aid {
                        Input::Read { slot, path } => {
                            if here(slot) {
                                fields.anon_id = at.field(problems, *slot, path, "anon_id", rt::identifier);
                            }
                            slot.scope
                        }
                        Input::Literal(l) => {
                            fields.anon_id = Some(Some(Cow::Owned(literal_text(l))));
                            0
                        }
                    };
                    let home = cs.scope.max(aid_home);
                    if home == scope {
                        fields.ids = match (fields.customer_id.clone(), fields.anon_id.clone()) {
                            (Some(None), Some(None)) => {
                                problems.field::<()>(
                                    Err(Problem::Missing),
                                    "customer_id",
                                    cp.to_owned(),
                                    index_of(home, indices),
                                    || self.pointer(*cs, frames, indices),
                                );
                                None
                            }
                            (Some(c), Some(a)) => Some((c, a)),
                            _ => None,
                        };
                    }
                }
                _ => {}
            }
            if let Some(Input::Read { slot, path }) = &r.event_name
                && here(slot)
            {
                fields.event_name =
                    at.field(problems, *slot, path, "event_name", |v| rt::required(rt::string(v)));
            }
        } else if let Some(Input::Read { slot, path }) = &r.customer_id
            && here(slot)
        {
            fields.customer_id = at.field(problems, *slot, path, "customer_id", required_id).map(Some);
        }

        if let Some(time) = &r.user_time {
            self.user_time(time, scope, fields, &at, problems);
        }

        if self.plan.mapping_type == MappingType::Events
            && let Input::Read { slot, path } = &r.app_version
            && here(slot)
        {
            let or_default =
                |v| rt::string(v).map(|v| v.unwrap_or(Cow::Borrowed(crate::frontend::DEFAULT_APP_VERSION)));
            fields.app_version = at.field(problems, *slot, path, "app_version", or_default);
        }

        let mut sets: Vec<(&AttributesPlan, &'static str, &mut Option<Members<'a>>)> = Vec::new();
        if self.plan.mapping_type == MappingType::Events {
            sets.push((&r.attr, "attr.create_all", &mut fields.attr_members));
        }
        sets.push((&r.user_attributes, "user_attributes.create_all", &mut fields.user_attributes_members));
        for (attributes, name, members) in sets {
            if let Some((slot, path)) = &attributes.create_all
                && here(slot)
            {
                *members = at.field(problems, *slot, path, name, rt::members);
            }
        }
    }

    fn user_time(
        &self,
        time: &TimePlan,
        scope: usize,
        fields: &mut Fields<'a>,
        at: &Place<'_, '_, '_, 'a>,
        problems: &mut rt::Sink,
    ) {
        let unit: i64 = match time.formats.iter().find(|f| !matches!(f, TimeFormat::Pattern(_))) {
            Some(TimeFormat::EpochSeconds) => 1000,
            _ => 1,
        };
        let parse = |text: &str| date::evaluate(&time.formats, time.timezone.as_deref(), text);
        let text = |v| rt::required(rt::string(v));
        match &time.source {
            TimeInput::Read { slot, path } if slot.scope == scope => {
                let parser = (!time.formats.is_empty()).then_some(parse);
                let read = |v| {
                    rt::required(rt::time_input(v))
                        .and_then(|t| rt::user_time_with(t, unit, parser, time.formats_text.clone()))
                };
                fields.user_time = at.field(problems, *slot, path, "user_time", read);
            }
            TimeInput::Read { .. } => {}
            TimeInput::Merge { date: (date_slot, date_path), time: (time_slot, time_path) } => {
                if date_slot.scope == scope {
                    fields.date = at.field(problems, *date_slot, date_path, "user_time", text);
                }
                if time_slot.scope == scope {
                    fields.time = at.field(problems, *time_slot, time_path, "user_time", text);
                }
                if date_slot.scope.max(time_slot.scope) == scope {
                    fields.user_time = match (&fields.date, &fields.time) {
                        (Some(date), Some(clock)) => problems.field(
                            rt::merge_with(date, clock, parse, time.formats_text.clone()),
                            "user_time",
                            format!("{date_path} + {time_path}"),
                            index_of(scope, at.indices),
                            || self.pointer(*date_slot, at.frames, at.indices),
                        ),
                        _ => None,
                    };
                }
            }
        }
    }

    /// The record of the deepest scope, when every field has a value.
    pub(super) fn record(&self, fields: &Fields<'a>, frames: &[Frame<'a>]) -> Option<Record<'a>> {
        let r = &self.plan.record;
        let text = |input: &Option<Input>, converted: &Option<Cow<'a, str>>| match input {
            None => Some(Cow::Borrowed("")),
            Some(Input::Literal(l)) => Some(Cow::Owned(literal_text(l))),
            Some(Input::Read { .. }) => converted.clone(),
        };
        let user_attributes =
            self.attributes(&r.user_attributes, fields.user_attributes_members.as_ref(), frames)?;
        match self.plan.mapping_type {
            MappingType::Events => {
                let literal = |l: &Literal| Some(Cow::Owned(literal_text(l)));
                let (customer_id, anon_id) = match (&r.customer_id, &r.anon_id) {
                    (Some(Input::Literal(l)), anon) => {
                        let anon = match anon {
                            Some(Input::Literal(a)) => literal(a),
                            Some(Input::Read { .. }) => fields.anon_id.clone()?,
                            None => None,
                        };
                        (literal(l), anon)
                    }
                    (None, Some(Input::Literal(l))) => (None, literal(l)),
                    (Some(_), None) => (fields.customer_id.clone()?, None),
                    (None, Some(_)) => (None, fields.anon_id.clone()?),
                    (Some(_), Some(_)) => fields.ids.clone()?,
                    (None, None) => (None, None),
                };
                let event_name = text(&r.event_name, &fields.event_name)?;
                let user_time = if r.user_time.is_some() { fields.user_time? } else { 0 };
                let app_version = match &r.app_version {
                    Input::Literal(l) => Cow::Owned(literal_text(l)),
                    Input::Read { .. } => fields.app_version.clone()?,
                };
                let attr = self.attributes(&r.attr, fields.attr_members.as_ref(), frames)?;
                Some(Record::Event(Event {
                    customer_id,
                    anon_id,
                    event_name,
                    user_time,
                    platform: platform(r.platform),
                    app_version,
                    attr,
                    user_attributes,
                }))
            }
            MappingType::Users => {
                let customer_id = match &r.customer_id {
                    Some(Input::Read { .. }) => fields.customer_id.clone()??,
                    other => text(other, &None)?,
                };
                let user_time = match &r.user_time {
                    Some(_) => Some(fields.user_time?),
                    None => None,
                };
                Some(Record::User(Profile {
                    customer_id,
                    user_time,
                    update_existing_only: r.update_existing_only,
                    user_attributes,
                }))
            }
        }
    }

    /// An attributes object: the explicit keys, then what `create_all` copies. `None` when the
    /// copied object had a problem.
    pub(super) fn attributes(
        &self,
        plan: &AttributesPlan,
        members: Option<&Members<'a>>,
        frames: &[Frame<'a>],
    ) -> Option<Attributes<'a>> {
        let members = match &plan.create_all {
            Some(_) => Some(members?.clone()),
            None => None,
        };
        if plan.entries.is_empty() && members.is_none() {
            return Some(Attributes::new());
        }
        let mut attributes = Attributes::with_capacity(plan.entries.len());
        for (key, input) in &plan.entries {
            let value = match input {
                Input::Literal(l) => Some(literal_value(l)),
                Input::Read { slot, .. } => rt::value(self.value(frames, *slot)),
            };
            if let Some(value) = value {
                attributes.push_new(Cow::Owned(key.clone()), value);
            }
        }
        if let Some(Some(members)) = members {
            rt::copy_members(&mut attributes, members);
        }
        Some(attributes)
    }
}

fn literal_text(literal: &Literal) -> String {
    match literal {
        Literal::String(s) | Literal::Number(s) => s.clone(),
        Literal::Bool(b) => b.to_string(),
    }
}

fn literal_value(literal: &Literal) -> Value<'static> {
    match literal {
        Literal::String(s) => Value::String(Cow::Owned(s.clone())),
        Literal::Number(n) => Value::Number(Cow::Owned(n.clone())),
        Literal::Bool(b) => Value::Bool(*b),
    }
}

fn platform(platform: Platform) -> hookmap_core::Platform {
    match platform {
        Platform::Web => hookmap_core::Platform::Web,
        Platform::Android => hookmap_core::Platform::Android,
        Platform::Ios => hookmap_core::Platform::Ios,
        Platform::Api => hookmap_core::Platform::Api,
    }
}
