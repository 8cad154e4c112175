//! Lowering: the typed mapper becomes a read plan ([`crate::ir::Plan`]).
//!
//! Every JSONPath is resolved into a node of a scope tree: scope 0 is the payload, and in a
//! batching mapper each level of the iteration chain (`[*]`, a filter or a slice) opens the next
//! scope (one selected element of that array). Paths that share a prefix share nodes, so the
//! payload is read once. A path is read along the chain as far as it follows it, then by plain
//! member names and indexes; whatever is left (filters, slices, unions, `..`) becomes a query
//! node, evaluated on the captured value of that prefix for its first match.

use crate::diagnostics::Diagnostic;
use crate::ir::{
    AttributesPlan, Check, FilterMember, Input, Iteration, Node, NodeId, Plan, RecordPlan, Scope, Slot, Step,
    TailQuery, TimeInput, TimePlan,
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
    let mut lowering =
        Lowering { scopes: vec![Scope::default()], chain: Vec::new(), root_tree: false, errors: Vec::new() };
    lowering.scopes[0].nodes.push(Node::default());
    for path in record_paths(mapper).into_iter().chain(mapper.validations.iter().map(|v| &v.path)) {
        lowering.check_patterns(path);
    }
    lowering.find_chain(mapper);

    let record = RecordPlan {
        customer_id: mapper.customer_id.as_ref().map(|s| lowering.input(&s.value)),
        anon_id: mapper.anon_id.as_ref().map(|s| lowering.input(&s.value)),
        event_name: mapper.event_name.as_ref().map(|s| lowering.input(&s.value)),
        user_time: mapper.user_time.as_ref().map(|t| lowering.user_time(t, mapper)),
        platform: mapper.platform.as_ref().map_or(Platform::Web, |p| p.value),
        // A users mapper accepts and ignores `app_version`: it is not read at all.
        app_version: match (&mapper.app_version, mapper.mapping_type.value) {
            (Some(s), model::MappingType::Events) => lowering.input(&s.value),
            _ => Input::Literal(model::Literal::String(crate::frontend::DEFAULT_APP_VERSION.into())),
        },
        update_existing_only: mapper.update_existing_only.as_ref().map(|u| u.value),
        attr: lowering.attributes(&mapper.attr),
        user_attributes: lowering.attributes(&mapper.user_attributes),
    };
    let validations = mapper
        .validations
        .iter()
        .map(|v| Check { slot: lowering.slot(&v.path), path: v.path.text.clone(), ty: v.ty.value })
        .collect();

    lowering.plan_filters();
    if lowering.root_tree {
        // `$` inside a filter is the payload: it is captured whole to be parsed as a tree.
        lowering.scopes[0].nodes[0].whole = true;
    }
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
        root_tree: lowering.root_tree,
        validations,
        record,
    })
}

struct Lowering {
    scopes: Vec<Scope>,
    /// The iteration chain of a batching mapper, one entry per level.
    chain: Vec<Level>,
    /// Whether some filter compares with `$`, so the payload is needed as a tree.
    root_tree: bool,
    errors: Vec<Diagnostic>,
}

/// One level of the batching chain: plain steps from the enclosing element to an array, then
/// the selector that picks its elements.
#[derive(Clone, Debug)]
struct Level {
    steps: Vec<Step>,
    iteration: Iteration,
    /// What identifies the selector: `*`, the filter's text, or the slice's bounds.
    key: String,
    /// The path up to and including the selector, for messages.
    text: String,
}

/// How one segment of a mapper path is read.
enum Part<'q> {
    /// A member name or an index: read by the sparse reader.
    Plain(Step),
    /// `[*]`, a filter or a slice: may iterate on the batching chain.
    Iterating(Iteration, String),
    /// Anything else (unions, `..`): only evaluated as a query.
    Other(&'q Segment),
}

fn part<'q>(path: &'q model::Path, segment: &'q Segment) -> Part<'q> {
    match (segment.kind, segment.selectors.as_slice()) {
        (SegmentKind::Child, [Selector::Name { name, .. }]) => Part::Plain(Step::Member(name.clone())),
        (SegmentKind::Child, [Selector::Index { index, .. }]) => Part::Plain(Step::Index(*index)),
        (SegmentKind::Child, [Selector::Wildcard { .. }]) => Part::Iterating(Iteration::All, "*".to_owned()),
        (SegmentKind::Child, [Selector::Filter { expr, span }]) => {
            let text = path.text.get(span.clone()).unwrap_or_default().to_owned();
            Part::Iterating(Iteration::Filter { expr: expr.clone(), members: None }, text)
        }
        (SegmentKind::Child, [Selector::Slice { start, end, step, .. }]) => Part::Iterating(
            Iteration::Slice { start: *start, end: *end, step: *step },
            format!("{start:?}:{end:?}:{step:?}"),
        ),
        _ => Part::Other(segment),
    }
}

fn is_wildcard(segment: &Segment) -> bool {
    segment.kind == SegmentKind::Child && matches!(segment.selectors.as_slice(), [Selector::Wildcard { .. }])
}

/// Where a path is read: the chain level it reaches, the plain steps from that level's element,
/// and what is left to evaluate as a query.
struct Split<'q> {
    depth: usize,
    steps: Vec<Step>,
    tail: &'q [Segment],
}

impl Lowering {
    /// Picks the batching chain (none without `batching: true`). With `[*]` in some path, it is
    /// the longest prefix up to the last `[*]` of such a path (the front end has checked that
    /// they lie on one chain); filters and slices inside it iterate too. Without `[*]`, the
    /// first filter or slice of the first mapping path that has one makes the only level, so
    /// that `$.orders[?@.paid].id` makes one record per paid order, while filters further down
    /// or in other paths stay first-match lookups: adding an attribute never changes how many
    /// records there are.
    fn find_chain(&mut self, mapper: &Mapper) {
        if !mapper.batching.value {
            return;
        }
        // Only paths that reach the records choose the chain: a validation or an ignored field
        // must never change how many records a payload makes.
        let mapping = record_paths(mapper);
        let longest_wildcard = mapping
            .iter()
            .filter_map(|p| Some((*p, p.query.segments.iter().rposition(is_wildcard)? + 1)))
            .fold(None::<(&model::Path, usize)>, |best, (p, end)| {
                let levels = |p: &model::Path, end: usize| {
                    p.query.segments[..end]
                        .iter()
                        .filter(|s| matches!(part(p, s), Part::Iterating(..)))
                        .count()
                };
                match best {
                    Some((b, e)) if levels(b, e) >= levels(p, end) => best,
                    _ => Some((p, end)),
                }
            });
        let first_filter = || {
            mapping.iter().find_map(|p| {
                let first =
                    p.query.segments.iter().position(|s| matches!(part(p, s), Part::Iterating(..)))?;
                Some((*p, first + 1))
            })
        };
        let longest = longest_wildcard.or_else(first_filter);
        let Some((path, end)) = longest else { return };

        let mut chain = Vec::new();
        let mut steps = Vec::new();
        for segment in &path.query.segments[..end] {
            match part(path, segment) {
                Part::Plain(step) => steps.push(step),
                Part::Iterating(iteration, key) => {
                    let text = path.text.get(..segment.span.end).unwrap_or(&path.text).to_owned();
                    chain.push(Level { steps: std::mem::take(&mut steps), iteration, key, text });
                }
                Part::Other(other) => {
                    self.errors.push(
                        Diagnostic::error(format!(
                            "the batching chain of `{}` goes through `..` or a union",
                            path.text
                        ))
                        .at(path.file_span(other.span.clone()))
                        .label("selects from several places")
                        .note(
                            "the arrays a batching mapper iterates are reached by member names and \
                             indexes, and iterated with `[*]`, a filter or a slice",
                        ),
                    );
                    return;
                }
            }
        }
        for (level, entry) in chain.iter().enumerate() {
            let array = self.node(level, &entry.steps);
            let scope = &mut self.scopes[level];
            scope.array = Some(array);
            scope.iteration = entry.iteration.clone();
            scope.array_path = entry.text.clone();
            if let Iteration::Filter { expr, .. } = &entry.iteration {
                self.root_tree |= crate::generate::query::filter_uses_root(expr);
            }
            self.scopes.push(Scope { nodes: vec![Node::default()], ..Scope::default() });
        }
        self.chain = chain;
    }

    /// Decides, once every path has its nodes, how each filter of the chain reads its element.
    /// A filter that only compares members of the element (`@.status == 'paid'`) reads them
    /// with the element's struct, when the reader can: every node on the way must be a plain
    /// struct (not captured whole, not read by index, not the next array) and the member itself
    /// a leaf. Otherwise the element is captured whole and parsed as a tree for the filter.
    fn plan_filters(&mut self) {
        for level in 0..self.chain.len() {
            let Iteration::Filter { expr, .. } = &self.scopes[level].iteration else { continue };
            let members = filter_members(expr).filter(|members| self.readable_members(level + 1, members));
            let element = level + 1;
            let planned = match members {
                Some(paths) => {
                    let mut members = Vec::new();
                    for names in paths {
                        let steps: Vec<Step> = names.iter().cloned().map(Step::Member).collect();
                        let node = self.node(element, &steps);
                        self.scopes[element].nodes[node].operand = true;
                        members.push(FilterMember { names, node });
                    }
                    Some(members)
                }
                None => {
                    self.scopes[element].nodes[0].whole = true;
                    None
                }
            };
            if let Iteration::Filter { members, .. } = &mut self.scopes[level].iteration {
                *members = planned;
            }
        }
    }

    /// Whether the reader can read these member paths of scope `scope`'s element as leaves of
    /// its structs.
    fn readable_members(&self, scope: usize, paths: &[Vec<String>]) -> bool {
        // `@.a` and `@.a.b` together would need `a` both as a value and as a struct.
        let nested = paths.iter().any(|p| paths.iter().any(|q| q.len() > p.len() && q.starts_with(p)));
        if nested {
            return false;
        }
        let nodes = &self.scopes[scope].nodes;
        let plain = |id: NodeId| {
            let node = &nodes[id];
            !node.whole && node.indices.is_empty() && self.scopes[scope].array != Some(id)
        };
        paths.iter().all(|names| {
            let mut at = 0;
            for (i, name) in names.iter().enumerate() {
                if !plain(at) {
                    return false;
                }
                match nodes[at].members.iter().find(|(n, _)| n == name) {
                    Some((_, child)) => at = *child,
                    // Not read otherwise: the rest of the path will be new leaves.
                    None => return true,
                }
                if i + 1 == names.len() {
                    let leaf = &nodes[at];
                    return leaf.members.is_empty()
                        && leaf.indices.is_empty()
                        && self.scopes[scope].array != Some(at);
                }
            }
            true
        })
    }

    /// Follows a path along the chain as far as it goes.
    fn split<'q>(&self, path: &'q model::Path) -> Split<'q> {
        let segments = path.query.segments.as_slice();
        let mut at = 0;
        let mut depth = 0;
        'levels: for level in &self.chain {
            let mut i = at;
            for step in &level.steps {
                match segments.get(i).map(|s| part(path, s)) {
                    Some(Part::Plain(s)) if s == *step => i += 1,
                    _ => break 'levels,
                }
            }
            match segments.get(i).map(|s| part(path, s)) {
                Some(Part::Iterating(_, key)) if key == level.key => {
                    at = i + 1;
                    depth += 1;
                }
                _ => break,
            }
        }
        let mut steps = Vec::new();
        while let Some(Part::Plain(step)) = segments.get(at).map(|s| part(path, s)) {
            steps.push(step);
            at += 1;
        }
        Split { depth, steps, tail: &segments[at..] }
    }

    /// The slot a path reads, creating nodes along the way.
    fn slot(&mut self, path: &model::Path) -> Slot {
        let split = self.split(path);
        if let Some(wildcard) =
            split.tail.iter().find(|s| s.selectors.iter().any(|x| matches!(x, Selector::Wildcard { .. })))
        {
            // A wildcard off the chain: the front end reports it first (it iterates an array
            // without batching, or another chain); never read it as a first match.
            self.errors.push(
                Diagnostic::error(format!("JSONPath `{}` does not lie on the batching chain", path.text))
                    .at(path.file_span(wildcard.span.clone()))
                    .label("iterates a different array"),
            );
            return Slot { scope: 0, node: 0 };
        }
        let depth = split.depth;
        let base = self.node(depth, &split.steps);
        self.scopes[depth].nodes[base].whole = true;
        if split.tail.is_empty() {
            return Slot { scope: depth, node: base };
        }
        let start = split.tail.first().map_or(0, |s| s.span.start);
        let text = path.text.get(start..).unwrap_or_default().to_owned();
        self.root_tree |= crate::generate::query::segments_use_root(split.tail);
        let nodes = &mut self.scopes[depth].nodes;
        if let Some(id) =
            nodes.iter().position(|n| n.query.as_ref().is_some_and(|q| q.base == base && q.text == text))
        {
            return Slot { scope: depth, node: id };
        }
        let id = nodes.len();
        let steps = nodes[base].steps.clone();
        nodes.push(Node {
            whole: true,
            steps,
            query: Some(TailQuery { base, segments: split.tail.to_vec(), text }),
            ..Node::default()
        });
        Slot { scope: depth, node: id }
    }

    /// Literal `match()` / `search()` patterns must be I-Regexp: one that is not would make
    /// the function false for every value, which is never what a mapper means.
    fn check_patterns(&mut self, path: &model::Path) {
        for error in crate::generate::query::pattern_errors(&path.query.segments) {
            self.errors.push(
                Diagnostic::error(format!("JSONPath `{}` has an invalid regular expression", path.text))
                    .at(path.file_span(error.span))
                    .label(error.message)
                    .note("`match()` and `search()` take I-Regexp patterns (RFC 9485)"),
            );
        }
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

/// The member paths a filter compares, when it looks at nothing else: every query in it is
/// `@` followed by member names (at least one). `None` for filters that need the element as a
/// whole (`@` alone, indexes, wildcards, `..`, nested filters, `$`).
fn filter_members(expr: &crate::jsonpath::ast::LogicalExpr) -> Option<Vec<Vec<String>>> {
    let mut paths: Vec<Vec<String>> = Vec::new();
    let mut simple = true;
    crate::generate::query::visit_queries(expr, &mut |query| match query.current_member_names() {
        Some(names) if !names.is_empty() => {
            let names: Vec<String> = names.into_iter().map(str::to_owned).collect();
            if !paths.contains(&names) {
                paths.push(names);
            }
        }
        _ => simple = false,
    });
    simple.then_some(paths)
}

/// Every path of the mapper, in file order.
fn record_paths(mapper: &Mapper) -> Vec<&model::Path> {
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
    if mapper.mapping_type.value == model::MappingType::Events {
        paths.extend(source(&mapper.app_version));
    }
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
    paths
}
