//! Lowering: the typed mapper becomes a read plan ([`crate::ir::Plan`]).
//!
//! Every JSONPath is resolved into a node of a scope tree: scope 0 is the payload, and in a
//! batching mapper each `[*]` of the iteration chain opens the next scope (one element of that
//! array). Paths that share a prefix share nodes, so the payload is read once.

use crate::diagnostics::Diagnostic;
use crate::ir::{
    AttributesPlan, Check, Input, Node, NodeId, Plan, RecordPlan, Scope, Slot, Step, TimeInput, TimePlan,
};
use crate::jsonpath::ast::{Segment, SegmentKind, Selector};
use crate::model::{self, Mapper, Platform, Source, TimeSource};

/// Names for the generated type and for `MapperInfo`.
#[derive(Clone, Debug)]
pub struct Names {
    /// The Rust type to generate.
    pub type_name: String,
    /// The config name when the mapper file has no `config_name`.
    pub default_config_name: String,
}

/// Builds the read plan, or explains which paths the compiler cannot read yet.
pub fn lower(mapper: &Mapper, names: &Names) -> Result<Plan, Vec<Diagnostic>> {
    let mut lowering = Lowering { scopes: vec![Scope::default()], chain: Vec::new(), errors: Vec::new() };
    lowering.scopes[0].nodes.push(Node::default());
    lowering.find_chain(mapper);

    let record = RecordPlan {
        customer_id: mapper.customer_id.as_ref().map(|s| lowering.input(&s.value)),
        anon_id: mapper.anon_id.as_ref().map(|s| lowering.input(&s.value)),
        event_name: mapper.event_name.as_ref().map(|s| lowering.input(&s.value)),
        user_time: mapper.user_time.as_ref().map(|t| lowering.user_time(t, mapper)),
        platform: mapper.platform.as_ref().map_or(Platform::Web, |p| p.value),
        app_version: mapper
            .app_version
            .as_ref()
            .map_or(Input::Literal(model::Literal::String("1.0.0".into())), |s| lowering.input(&s.value)),
        update_existing_only: mapper.update_existing_only.as_ref().map(|u| u.value),
        attr: lowering.attributes(&mapper.attr),
        user_attributes: lowering.attributes(&mapper.user_attributes),
    };
    let validations = mapper
        .validations
        .iter()
        .map(|v| Check { slot: lowering.slot(&v.path), path: v.path.text.clone(), ty: v.ty.value })
        .collect();

    if !lowering.errors.is_empty() {
        return Err(lowering.errors);
    }
    Ok(Plan {
        type_name: names.type_name.clone(),
        partner_name: mapper.partner_name.value.clone(),
        config_name: mapper
            .config_name
            .as_ref()
            .map_or_else(|| names.default_config_name.clone(), |c| c.value.clone()),
        mapping_type: mapper.mapping_type.value,
        scopes: lowering.scopes,
        validations,
        record,
    })
}

struct Lowering {
    scopes: Vec<Scope>,
    /// The iteration chain: for each level, the steps from the enclosing scope to its array.
    chain: Vec<Vec<Step>>,
    errors: Vec<Diagnostic>,
}

/// A path split at its wildcards: the steps before each `[*]`, then the steps after the last.
struct Split {
    levels: Vec<Vec<Step>>,
    rest: Vec<Step>,
}

impl Lowering {
    /// The chain is the longest iterating path's prefix up to its last `[*]`. The front end has
    /// checked that all iterating paths lie on it and that only batching mappers iterate.
    fn find_chain(&mut self, mapper: &Mapper) {
        let mut longest: Vec<Vec<Step>> = Vec::new();
        for path in mapper_paths(mapper) {
            if let Some(split) = self.split(path)
                && split.levels.len() > longest.len()
            {
                longest = split.levels;
            }
        }
        for (level, steps) in longest.iter().enumerate() {
            let array = self.node(level, steps);
            let scope = &mut self.scopes[level];
            scope.array = Some(array);
            scope.array_path = chain_text(&longest[..=level]);
            self.scopes.push(Scope { nodes: vec![Node::default()], array: None, array_path: String::new() });
        }
        self.chain = longest;
    }

    /// Splits a path at its wildcards; reports constructs the compiler does not read yet.
    fn split(&mut self, path: &model::Path) -> Option<Split> {
        let mut levels = Vec::new();
        let mut current = Vec::new();
        for segment in &path.query.segments {
            match single_selector(segment) {
                Some(Selector::Name { name, .. }) => current.push(Step::Member(name.clone())),
                Some(Selector::Index { index, .. }) => current.push(Step::Index(*index)),
                Some(Selector::Wildcard { .. }) => levels.push(std::mem::take(&mut current)),
                _ => {
                    let span = path.file_span(segment.span.clone());
                    self.errors.push(
                        Diagnostic::error(format!(
                            "JSONPath `{}` uses a construct that hookmap does not compile yet",
                            path.text
                        ))
                        .at(span)
                        .label("not supported yet")
                        .note(
                            "mappers support member names, indexes and `[*]` on the batching chain; \
                             filters, slices, unions and `..` are not supported yet",
                        ),
                    );
                    return None;
                }
            }
        }
        Some(Split { levels, rest: current })
    }

    /// The slot a path reads, creating nodes along the way.
    fn slot(&mut self, path: &model::Path) -> Slot {
        let Some(split) = self.split(path) else { return Slot { scope: 0, node: 0 } };
        let depth = split.levels.len();
        let on_chain = split.levels.len() <= self.chain.len()
            && split.levels.iter().zip(&self.chain).all(|(a, b)| a == b);
        if !on_chain {
            self.errors.push(
                Diagnostic::error(format!("JSONPath `{}` does not lie on the batching chain", path.text))
                    .at(path.span.clone())
                    .label("iterates a different array"),
            );
            return Slot { scope: 0, node: 0 };
        }
        let node = self.node(depth, &split.rest);
        self.scopes[depth].nodes[node].whole = true;
        Slot { scope: depth, node }
    }

    /// The node reached from scope `scope`'s value by `steps`.
    fn node(&mut self, scope: usize, steps: &[Step]) -> NodeId {
        let nodes = &mut self.scopes[scope].nodes;
        let mut at = 0;
        for (i, step) in steps.iter().enumerate() {
            let existing = match step {
                Step::Member(name) => nodes[at].members.iter().find(|(n, _)| n == name).map(|(_, id)| *id),
                Step::Index(index) => nodes[at].indices.iter().find(|(n, _)| n == index).map(|(_, id)| *id),
            };
            at = match existing {
                Some(id) => id,
                None => {
                    let id = nodes.len();
                    nodes.push(Node { steps: steps[..=i].to_vec(), ..Node::default() });
                    match step {
                        Step::Member(name) => nodes[at].members.push((name.clone(), id)),
                        Step::Index(index) => nodes[at].indices.push((*index, id)),
                    }
                    id
                }
            };
        }
        at
    }

    fn input(&mut self, source: &Source) -> Input {
        match source {
            Source::Literal(literal) => Input::Literal(literal.clone()),
            Source::Path(path) => Input::Read { slot: self.slot(path), path: path.text.clone() },
        }
    }

    fn user_time(&mut self, time: &model::UserTime, mapper: &Mapper) -> TimePlan {
        let source = match &time.source.value {
            TimeSource::Path(path) => TimeInput::Read { slot: self.slot(path), path: path.text.clone() },
            TimeSource::Merge { date, time } => TimeInput::Merge {
                date: (self.slot(date), date.text.clone()),
                time: (self.slot(time), time.text.clone()),
            },
        };
        let formats: Vec<_> = time.formats.iter().map(|f| f.value.clone()).collect();
        let formats_text = formats
            .iter()
            .map(|f| match f {
                crate::date::TimeFormat::EpochSeconds => "epoch_seconds".to_owned(),
                crate::date::TimeFormat::EpochMillis => "epoch_millis".to_owned(),
                crate::date::TimeFormat::Pattern(p) => p.text.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        TimePlan {
            source,
            formats,
            formats_text,
            timezone: mapper.timezone.as_ref().map(|t| t.value.clone()),
        }
    }

    fn attributes(&mut self, attributes: &model::Attributes) -> AttributesPlan {
        AttributesPlan {
            entries: attributes
                .entries
                .iter()
                .map(|a| (a.key.value.clone(), self.input(&a.source.value)))
                .collect(),
            create_all: attributes.create_all.as_ref().map(|p| (self.slot(p), p.text.clone())),
        }
    }
}

fn single_selector(segment: &Segment) -> Option<&Selector> {
    match (segment.kind, segment.selectors.as_slice()) {
        (SegmentKind::Child, [selector]) => Some(selector),
        _ => None,
    }
}

/// Every path of the mapper, in file order.
fn mapper_paths(mapper: &Mapper) -> Vec<&model::Path> {
    let mut paths = Vec::new();
    fn source(s: &Option<model::Spanned<Source>>) -> Option<&model::Path> {
        match s {
            Some(model::Spanned { value: Source::Path(p), .. }) => Some(p),
            _ => None,
        }
    }
    paths.extend(source(&mapper.customer_id));
    paths.extend(source(&mapper.anon_id));
    paths.extend(source(&mapper.event_name));
    paths.extend(source(&mapper.app_version));
    if let Some(time) = &mapper.user_time {
        match &time.source.value {
            TimeSource::Path(p) => paths.push(p),
            TimeSource::Merge { date, time } => paths.extend([date, time]),
        }
    }
    for attributes in [&mapper.attr, &mapper.user_attributes] {
        for a in &attributes.entries {
            if let Source::Path(p) = &a.source.value {
                paths.push(p);
            }
        }
        paths.extend(&attributes.create_all);
    }
    paths.extend(mapper.validations.iter().map(|v| &v.path));
    paths
}

/// `$.orders[*].items[*]` for the first levels of a chain.
fn chain_text(levels: &[Vec<Step>]) -> String {
    let mut text = String::from("$");
    for steps in levels {
        for step in steps {
            push_step(&mut text, step);
        }
        text.push_str("[*]");
    }
    text
}

fn push_step(text: &mut String, step: &Step) {
    match step {
        Step::Member(name) if is_shorthand_name(name) => {
            text.push('.');
            text.push_str(name);
        }
        Step::Member(name) => {
            text.push_str("['");
            for c in name.chars() {
                match c {
                    '\'' => text.push_str("\\'"),
                    '\\' => text.push_str("\\\\"),
                    c => text.push(c),
                }
            }
            text.push_str("']");
        }
        Step::Index(i) => {
            text.push('[');
            text.push_str(&i.to_string());
            text.push(']');
        }
    }
}

fn is_shorthand_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
