//! Runs a mapper's read plan on a payload without compiling it: the engine of `hookmap run`,
//! `hookmap test`, `hookmap diff` and of the sample checks at build time.
//!
//! It is not a second implementation of the mapper format. It walks the same [`Plan`] that
//! [`crate::generate`] turns into Rust, in the same order (validations first, then each scope's
//! fields where their values live, then each record), and it converts every value and reports
//! every problem through the same functions of `hookmap::__private` that the generated code
//! calls. What differs is only how values are reached: the generated code reads the payload once
//! into structs; the evaluator looks members and elements up in the captured JSON text.
//! The agreement tests (`tests/tests/evaluator.rs`) hold the two to the same records JSON and the
//! same errors, byte for byte, on the conformance suite, the JSONPath compliance suite and random
//! payloads. Production code keeps running the compiled mapper; this is for tools.

mod query;

use std::borrow::Cow;
use std::fmt::Write as _;

use hookmap_core::__private::{self as rt, Json, Problem, Raw};
use hookmap_core::{Attributes, Detail, Event, MapError, Profile, Record, Value};

use query::Context;
pub use query::nodelist;

use crate::date::{self, TimeFormat};
use crate::ir::{AttributesPlan, Input, Iteration, NodeId, Plan, Slot, Step, TimeInput, TimePlan};
use crate::model::{Literal, MappingType, Platform};

/// Maps `payload` with `plan`: the records, or the error, that the compiled mapper returns.
pub fn evaluate<'a>(plan: &Plan, payload: &'a [u8]) -> Result<Vec<Record<'a>>, MapError> {
    let root: Raw<'a> = rt::read(payload)?;
    let root_tree = plan.root_tree.then(|| rt::tree(Some(root)));
    let run = Run { plan, root: root_tree.as_ref() };
    let mut problems = Problems::default();
    let mut frames = vec![run.frame(0, Some(root))];
    let mut indices = Vec::new();

    if !plan.validations.is_empty() {
        let deepest = plan.validations.iter().map(|c| c.slot.scope).max().unwrap_or(0);
        run.validate(0, deepest, &mut frames, &mut indices, &mut problems);
        if !problems.details.is_empty() {
            return Err(MapError::new(problems.details));
        }
    }

    let mut records = Vec::new();
    run.map(0, Fields::default(), &mut frames, &mut indices, &mut problems, &mut records);
    if problems.details.is_empty() { Ok(records) } else { Err(MapError::new(problems.details)) }
}

/// The values of one scope for one element (or the payload, for scope 0).
struct Frame<'a> {
    /// Each node's value, `null` included (the runtime's conversions read `null` as missing).
    values: Vec<Option<Raw<'a>>>,
    /// The trees parsed from query bases, kept for the pointers of errors.
    trees: Vec<(NodeId, Json<'a>)>,
}

impl<'a> Frame<'a> {
    fn tree(&self, base: NodeId) -> Option<&Json<'a>> {
        self.trees.iter().find(|(b, _)| *b == base).map(|(_, tree)| tree)
    }
}

struct Run<'p, 'r, 'a> {
    plan: &'p Plan,
    /// The payload as a tree, when filters compare with `$`.
    root: Option<&'r Json<'a>>,
}

/// The problems of one payload, as `Sink` of the runtime collects them.
#[derive(Default)]
struct Problems {
    details: Vec<Detail>,
}

impl Problems {
    fn field<T>(
        &mut self,
        result: Result<T, Problem>,
        field: &'static str,
        path: &str,
        index: Option<usize>,
        pointer: impl FnOnce() -> String,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.details.push(rt::detail(problem, field, path.to_owned(), pointer(), index));
                None
            }
        }
    }

    fn check(
        &mut self,
        result: Result<(), Problem>,
        path: &str,
        index: Option<usize>,
        pointer: impl FnOnce() -> String,
    ) {
        if let Err(problem) = result {
            self.details.push(rt::validation_detail(problem, path.to_owned(), pointer(), index));
        }
    }
}

/// The converted fields of the scopes entered so far; `None` after a problem (or before the
/// field's scope was reached, which cannot happen by the time a record is built).
#[derive(Clone, Default)]
struct Fields<'a> {
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

/// The batch index of a problem in scope `scope`: the element of the outermost array.
fn index_of(scope: usize, indices: &[usize]) -> Option<usize> {
    if scope == 0 { None } else { indices.first().copied() }
}

impl<'a> Run<'_, '_, 'a> {
    /// Reads the values of scope `scope` from its value.
    fn frame(&self, scope: usize, value: Option<Raw<'a>>) -> Frame<'a> {
        let nodes = &self.plan.scopes[scope].nodes;
        let mut values = vec![None; nodes.len()];
        values[0] = value;
        fill(nodes, 0, &mut values);
        let mut trees: Vec<(NodeId, Json<'a>)> = Vec::new();
        for (id, node) in nodes.iter().enumerate() {
            let Some(query) = &node.query else { continue };
            if !trees.iter().any(|(base, _)| *base == query.base) {
                trees.push((query.base, rt::tree(values[query.base])));
            }
            let Some((_, tree)) = trees.iter().find(|(base, _)| *base == query.base) else { continue };
            let context = Context { root: self.root.unwrap_or(tree), known: &[] };
            values[id] = rt::raw(context.first(tree, &query.segments));
            fill(nodes, id, &mut values);
        }
        Frame { values, trees }
    }

    fn value(&self, frames: &[Frame<'a>], slot: Slot) -> Option<Raw<'a>> {
        frames[slot.scope].values[slot.node]
    }

    /// The JSON pointer of a slot's value, as the generated code renders it.
    fn pointer(&self, slot: Slot, frames: &[Frame<'a>], indices: &[usize]) -> String {
        let mut out = String::new();
        let mut whole = true;
        for (level, index) in indices.iter().enumerate().take(slot.scope) {
            let scope = &self.plan.scopes[level];
            if let Some(array) = scope.array {
                whole = push_steps(&mut out, &scope.nodes[array].steps);
            }
            if !whole {
                break;
            }
            let _ = write!(out, "/{index}");
        }
        let node = &self.plan.scopes[slot.scope].nodes[slot.node];
        if whole {
            whole = push_steps(&mut out, &node.steps);
        }
        if let Some(query) = node.query.as_ref().filter(|_| whole) {
            let frame = &frames[slot.scope];
            let null = Json::null();
            out.push_str(&rt::pointer_within(
                frame.tree(query.base).unwrap_or(&null),
                frame.values[slot.node],
            ));
        }
        out
    }

    /// The elements of scope `scope`'s iterated array that its level keeps, with their positions.
    fn kept(&self, scope: usize, items: &[Raw<'a>]) -> Vec<(usize, Raw<'a>)> {
        match &self.plan.scopes[scope].iteration {
            Iteration::All => items.iter().copied().enumerate().collect(),
            Iteration::Slice { start, end, step } => {
                rt::slice_enumerate(items, *start, *end, *step).map(|(i, raw)| (i, *raw)).collect()
            }
            Iteration::Filter { expr, members: Some(members) } => {
                // The compared members were read with the element, not looked up in its tree.
                let keep = |element: Raw<'a>| {
                    let operands: Vec<Option<Json<'a>>> = members
                        .iter()
                        .map(|m| {
                            rt::operand_tree(
                                m.names.iter().try_fold(element, |v, name| rt::member(Some(v), name)),
                            )
                        })
                        .collect();
                    let known: Vec<(Vec<String>, Option<&Json<'a>>)> =
                        members.iter().zip(&operands).map(|(m, o)| (m.names.clone(), o.as_ref())).collect();
                    let null = Json::null();
                    Context { root: &null, known: &known }.test(expr, &null)
                };
                items.iter().copied().enumerate().filter(|(_, element)| keep(*element)).collect()
            }
            Iteration::Filter { expr, members: None } => {
                let keep = |element: Raw<'a>| {
                    let tree = rt::tree(Some(element));
                    Context { root: self.root.unwrap_or(&tree), known: &[] }.test(expr, &tree)
                };
                items.iter().copied().enumerate().filter(|(_, element)| keep(*element)).collect()
            }
        }
    }

    /// `payload_validations`, scope by scope, down to the deepest scope a rule reads.
    fn validate(
        &self,
        scope: usize,
        deepest: usize,
        frames: &mut Vec<Frame<'a>>,
        indices: &mut Vec<usize>,
        problems: &mut Problems,
    ) {
        for check in self.plan.validations.iter().filter(|c| c.slot.scope == scope) {
            let result = rt::check_type(self.value(frames, check.slot), rt_type(check.ty));
            problems.check(result, &check.path, index_of(scope, indices), || {
                self.pointer(check.slot, frames, indices)
            });
        }
        if scope == deepest {
            return;
        }
        let Some(array) = self.plan.scopes[scope].array else { return };
        let Ok(items) = rt::iterated(frames[scope].values[array]) else { return };
        for (i, element) in self.kept(scope, &items) {
            frames.push(self.frame(scope + 1, Some(element)));
            indices.push(i);
            self.validate(scope + 1, deepest, frames, indices, problems);
            indices.pop();
            frames.pop();
        }
    }

    /// The mapping pass: the fields of `scope`, then the record (deepest scope) or the elements.
    fn map(
        &self,
        scope: usize,
        mut fields: Fields<'a>,
        frames: &mut Vec<Frame<'a>>,
        indices: &mut Vec<usize>,
        problems: &mut Problems,
        records: &mut Vec<Record<'a>>,
    ) {
        self.fields(scope, &mut fields, frames, indices, problems);
        let deepest = self.plan.scopes.len() - 1;
        if scope == deepest {
            records.extend(self.record(&fields, frames));
            return;
        }
        let level = &self.plan.scopes[scope];
        let Some(array) = level.array else { return };
        match rt::iterated(frames[scope].values[array]) {
            Ok(items) => {
                for (i, element) in self.kept(scope, &items) {
                    frames.push(self.frame(scope + 1, Some(element)));
                    indices.push(i);
                    self.map(scope + 1, fields.clone(), frames, indices, problems, records);
                    indices.pop();
                    frames.pop();
                }
            }
            Err(problem) => {
                let slot = Slot { scope, node: array };
                problems.check(Err(problem), &level.array_path, index_of(scope, indices), || {
                    self.pointer(slot, frames, indices)
                });
            }
        }
    }

    /// Converts the fields whose values live in `scope`, in the order the generated code does.
    fn fields(
        &self,
        scope: usize,
        fields: &mut Fields<'a>,
        frames: &[Frame<'a>],
        indices: &[usize],
        problems: &mut Problems,
    ) {
        let r = &self.plan.record;
        let here = |slot: &Slot| slot.scope == scope;
        let index = |slot: Slot| index_of(slot.scope, indices);
        let pointer = |slot: Slot| move || self.pointer(slot, frames, indices);

        if self.plan.mapping_type == MappingType::Events {
            match (&r.customer_id, &r.anon_id) {
                (Some(Input::Literal(_)), Some(Input::Read { slot, path })) if here(slot) => {
                    fields.anon_id = problems.field(
                        rt::identifier(self.value(frames, *slot)),
                        "anon_id",
                        path,
                        index(*slot),
                        pointer(*slot),
                    );
                }
                (Some(Input::Read { slot, path }), None) if here(slot) => {
                    fields.customer_id = problems
                        .field(
                            rt::required(rt::identifier(self.value(frames, *slot))),
                            "customer_id",
                            path,
                            index(*slot),
                            pointer(*slot),
                        )
                        .map(Some);
                }
                (None, Some(Input::Read { slot, path })) if here(slot) => {
                    fields.anon_id = problems
                        .field(
                            rt::required(rt::identifier(self.value(frames, *slot))),
                            "anon_id",
                            path,
                            index(*slot),
                            pointer(*slot),
                        )
                        .map(Some);
                }
                (Some(Input::Read { slot: cs, path: cp }), Some(aid)) => {
                    if here(cs) {
                        fields.customer_id = problems.field(
                            rt::identifier(self.value(frames, *cs)),
                            "customer_id",
                            cp,
                            index(*cs),
                            pointer(*cs),
                        );
                    }
                    let aid_home = match aid {
                        Input::Read { slot, path } => {
                            if here(slot) {
                                fields.anon_id = problems.field(
                                    rt::identifier(self.value(frames, *slot)),
                                    "anon_id",
                                    path,
                                    index(*slot),
                                    pointer(*slot),
                                );
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
                                    cp,
                                    index_of(home, indices),
                                    pointer(*cs),
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
                fields.event_name = problems.field(
                    rt::required(rt::string(self.value(frames, *slot))),
                    "event_name",
                    path,
                    index(*slot),
                    pointer(*slot),
                );
            }
        } else if let Some(Input::Read { slot, path }) = &r.customer_id
            && here(slot)
        {
            fields.customer_id = problems
                .field(
                    rt::required(rt::identifier(self.value(frames, *slot))),
                    "customer_id",
                    path,
                    index(*slot),
                    pointer(*slot),
                )
                .map(Some);
        }

        if let Some(time) = &r.user_time {
            self.user_time(time, scope, fields, frames, indices, problems);
        }

        if self.plan.mapping_type == MappingType::Events
            && let Input::Read { slot, path } = &r.app_version
            && here(slot)
        {
            let value = rt::string(self.value(frames, *slot))
                .map(|v| v.unwrap_or(Cow::Borrowed(crate::frontend::DEFAULT_APP_VERSION)));
            fields.app_version = problems.field(value, "app_version", path, index(*slot), pointer(*slot));
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
                *members = problems.field(
                    rt::members(self.value(frames, *slot)),
                    name,
                    path,
                    index(*slot),
                    pointer(*slot),
                );
            }
        }
    }

    fn user_time(
        &self,
        time: &TimePlan,
        scope: usize,
        fields: &mut Fields<'a>,
        frames: &[Frame<'a>],
        indices: &[usize],
        problems: &mut Problems,
    ) {
        let unit: i64 = match time.formats.iter().find(|f| !matches!(f, TimeFormat::Pattern(_))) {
            Some(TimeFormat::EpochSeconds) => 1000,
            _ => 1,
        };
        let parse = |text: &str| date::evaluate(&time.formats, time.timezone.as_deref(), text);
        let pointer = |slot: Slot| move || self.pointer(slot, frames, indices);
        match &time.source {
            TimeInput::Read { slot, path } if slot.scope == scope => {
                let parser = (!time.formats.is_empty()).then_some(parse);
                let result = rt::required(rt::time_input(self.value(frames, *slot)))
                    .and_then(|t| rt::user_time_with(t, unit, parser, time.formats_text.clone()));
                fields.user_time =
                    problems.field(result, "user_time", path, index_of(scope, indices), pointer(*slot));
            }
            TimeInput::Read { .. } => {}
            TimeInput::Merge { date: (date_slot, date_path), time: (time_slot, time_path) } => {
                if date_slot.scope == scope {
                    let value = rt::required(rt::string(self.value(frames, *date_slot)));
                    fields.date = problems.field(
                        value,
                        "user_time",
                        date_path,
                        index_of(scope, indices),
                        pointer(*date_slot),
                    );
                }
                if time_slot.scope == scope {
                    let value = rt::required(rt::string(self.value(frames, *time_slot)));
                    fields.time = problems.field(
                        value,
                        "user_time",
                        time_path,
                        index_of(scope, indices),
                        pointer(*time_slot),
                    );
                }
                if date_slot.scope.max(time_slot.scope) == scope {
                    fields.user_time = match (&fields.date, &fields.time) {
                        (Some(date), Some(clock)) => problems.field(
                            rt::merge_with(date, clock, parse, time.formats_text.clone()),
                            "user_time",
                            &format!("{date_path} + {time_path}"),
                            index_of(scope, indices),
                            pointer(*date_slot),
                        ),
                        _ => None,
                    };
                }
            }
        }
    }

    /// The record of the deepest scope, when every field has a value.
    fn record(&self, fields: &Fields<'a>, frames: &[Frame<'a>]) -> Option<Record<'a>> {
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
    fn attributes(
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

/// Computes the values of the plain nodes below `id` (members and indexed elements).
fn fill<'a>(nodes: &[crate::ir::Node], id: NodeId, values: &mut [Option<Raw<'a>>]) {
    for (name, child) in &nodes[id].members {
        values[*child] = rt::member(values[id], name);
        fill(nodes, *child, values);
    }
    for (index, child) in &nodes[id].indices {
        values[*child] = rt::element(values[id], *index);
        fill(nodes, *child, values);
    }
}

/// Appends the pointer of `steps`; stops before a negative index (its position is known only
/// to the array) and returns `false` there, as the generated pointers do.
fn push_steps(out: &mut String, steps: &[Step]) -> bool {
    for step in steps {
        match step {
            Step::Index(i) if *i < 0 => return false,
            Step::Index(i) => {
                let _ = write!(out, "/{i}");
            }
            Step::Member(name) => {
                out.push('/');
                out.push_str(&name.replace('~', "~0").replace('/', "~1"));
            }
        }
    }
    true
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

fn rt_type(ty: crate::model::JsonType) -> rt::JsonType {
    use crate::model::JsonType;
    match ty {
        JsonType::String => rt::JsonType::String,
        JsonType::Number => rt::JsonType::Number,
        JsonType::Integer => rt::JsonType::Integer,
        JsonType::Boolean => rt::JsonType::Boolean,
        JsonType::Object => rt::JsonType::Object,
        JsonType::Array => rt::JsonType::Array,
    }
}
