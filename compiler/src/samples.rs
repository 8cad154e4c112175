//! Sample payloads: a mapper is checked against the payloads its team names, at build time.
//!
//! Two checks. A path that matches nothing in any sample fails the build, with the keys that
//! exist where it went astray (a typo, usually). And every sample is mapped with the evaluator
//! ([`crate::evaluate`]), which runs the very plan the generated code is made from: a sample the
//! compiled mapper would refuse (a value of the wrong type, a time no format reads, a failed
//! `payload_validations` rule) fails the build with the runtime's own message, at the mapper's
//! path, naming the sample and the JSON pointer inside it. Filters and slices are checked like
//! any other path.

use hookmap_core::Detail;

use crate::diagnostics::Diagnostic;
use crate::frontend::json::{self, Kind, Value};
use crate::frontend::suggest::did_you_mean;
use crate::ir::Plan;
use crate::jsonpath::ast::{SegmentKind, Selector};
use crate::model::{Mapper, Path, Source as Input, TimeSource};
use crate::source::Source;

/// A sample parsed, with its name.
struct Sample<'s> {
    name: &'s str,
    text: &'s str,
    root: Value,
}

/// Checks `mapper` (lowered to `plan`) against every sample; returns the problems found (empty
/// when all is well).
pub fn check(mapper: &Mapper, plan: &Plan, samples: &[Source]) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for sample in samples {
        match json::parse(&sample.text) {
            (Some(root), _) => parsed.push(Sample { name: &sample.name, text: &sample.text, root }),
            (None, problems) => {
                let reason = problems.first().map_or_else(String::new, |d| {
                    let (line, column) = d.span.as_ref().map_or((0, 0), |s| sample.line_col(s.start));
                    format!(" at line {line}, column {column}: {}", d.message)
                });
                errors.push(Diagnostic::error(format!("sample `{}` is not valid JSON{reason}", sample.name)));
            }
        }
    }
    if parsed.is_empty() {
        return errors;
    }
    let paths = paths(mapper);
    let mut unmatched: Vec<&str> = Vec::new();
    for path in &paths {
        if let Some(miss) = check_path(path, &parsed) {
            unmatched.push(&path.text);
            errors.push(miss);
        }
    }
    // Each sample as the compiled mapper reads it: the validations, and the fields even when a
    // validation fails (the compiled mapper stops at the validations; the author wants both).
    let mut fields_only = plan.clone();
    fields_only.validations.clear();
    for sample in &parsed {
        let mut details: Vec<Detail> = Vec::new();
        for plan in [plan, &fields_only] {
            if let Err(error) = crate::evaluate::evaluate(plan, sample.text.as_bytes()) {
                details.extend(
                    error.details().iter().filter(|d| !details.contains(d)).cloned().collect::<Vec<_>>(),
                );
            }
        }
        for detail in details {
            let path_text = detail.path.as_deref().unwrap_or_default();
            // `#MERGE` reports "date + time"; the date's path locates it.
            let first = path_text.split(" + ").next().unwrap_or_default();
            if unmatched.contains(&first) {
                continue;
            }
            let path = paths
                .iter()
                .copied()
                .chain(mapper.validations.iter().map(|v| &v.path))
                .find(|p| p.text == first);
            let pointer = detail.pointer.as_deref().filter(|p| !p.is_empty()).unwrap_or("/");
            let what = if detail.field.is_some() { "" } else { " fails payload_validations" };
            let mut d = Diagnostic::error(format!(
                "sample `{}`{what}: {} (at `{pointer}`)",
                sample.name, detail.message
            ));
            if let Some(path) = path {
                d = d.at(path.span.clone()).label(format!("`{}` reads it", path.text));
            }
            errors.push(d);
        }
    }
    errors
}

/// Every path of the mapper that must match in some sample (validations are checked per sample
/// by the evaluator).
fn paths(mapper: &Mapper) -> Vec<&Path> {
    fn path(source: &Option<crate::model::Spanned<Input>>) -> Option<&Path> {
        match source {
            Some(crate::model::Spanned { value: Input::Path(p), .. }) => Some(p),
            _ => None,
        }
    }
    let mut out: Vec<&Path> = Vec::new();
    out.extend(path(&mapper.customer_id));
    out.extend(path(&mapper.anon_id));
    out.extend(path(&mapper.event_name));
    out.extend(path(&mapper.app_version));
    if let Some(time) = &mapper.user_time {
        match &time.source.value {
            TimeSource::Path(p) => out.push(p),
            TimeSource::Merge { date, time } => out.extend([date, time]),
        }
    }
    for attributes in [&mapper.attr, &mapper.user_attributes] {
        for attribute in &attributes.entries {
            if let Input::Path(p) = &attribute.source.value {
                out.push(p);
            }
        }
        out.extend(attributes.create_all.iter());
    }
    out
}

/// Where a path stopped matching in a sample: the selector, and the node it was applied to.
struct Miss<'v> {
    selector: std::ops::Range<usize>,
    name: Option<String>,
    parent: &'v Value,
    pointer: String,
}

/// The nodes a path selects in `root` (with their pointers), or where it stopped matching.
/// `None` when the path uses selectors this check does not evaluate (filters).
fn select<'v>(path: &Path, root: &'v Value) -> Option<Result<Vec<(&'v Value, String)>, Miss<'v>>> {
    let mut nodes = vec![(root, String::new())];
    for segment in &path.query.segments {
        let mut next = Vec::new();
        let inputs: Vec<(&Value, String)> = match segment.kind {
            SegmentKind::Child => nodes.clone(),
            SegmentKind::Descendant => nodes.iter().flat_map(|(v, p)| descendants(v, p)).collect(),
        };
        for selector in &segment.selectors {
            for (value, pointer) in &inputs {
                match (selector, &value.kind) {
                    (Selector::Name { name, .. }, Kind::Object(members)) => {
                        if let Some(m) = members.iter().rev().find(|m| m.key.text == *name) {
                            next.push((&m.value, format!("{pointer}/{}", escape(name))));
                        }
                    }
                    (Selector::Wildcard { .. }, Kind::Object(members)) => {
                        next.extend(
                            members.iter().map(|m| (&m.value, format!("{pointer}/{}", escape(&m.key.text)))),
                        );
                    }
                    (Selector::Wildcard { .. }, Kind::Array(items)) => {
                        next.extend(items.iter().enumerate().map(|(i, v)| (v, format!("{pointer}/{i}"))));
                    }
                    (Selector::Index { index, .. }, Kind::Array(items)) => {
                        let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                        let i = if *index < 0 { len + index } else { *index };
                        if let Some(v) = usize::try_from(i).ok().and_then(|i| items.get(i)) {
                            next.push((v, format!("{pointer}/{i}")));
                        }
                    }
                    (Selector::Slice { .. } | Selector::Filter { .. }, _) => return None,
                    _ => {}
                }
            }
        }
        if next.is_empty() {
            let (parent, pointer) = inputs.first().cloned().unwrap_or((root, String::new()));
            let name = match segment.selectors.as_slice() {
                [Selector::Name { name, .. }] => Some(name.clone()),
                _ => None,
            };
            let selector = segment.selectors.first().map_or(segment.span.clone(), |s| s.span().clone());
            return Some(Err(Miss { selector, name, parent, pointer }));
        }
        nodes = next;
    }
    Some(Ok(nodes))
}

fn descendants<'v>(value: &'v Value, pointer: &str) -> Vec<(&'v Value, String)> {
    let mut out = vec![(value, pointer.to_owned())];
    let mut i = 0;
    while i < out.len() {
        let (v, p) = out[i].clone();
        match &v.kind {
            Kind::Array(items) => out.extend(items.iter().enumerate().map(|(k, c)| (c, format!("{p}/{k}")))),
            Kind::Object(members) => {
                out.extend(members.iter().map(|m| (&m.value, format!("{p}/{}", escape(&m.key.text)))));
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The error for a path that matches nothing in any sample, if it does not.
fn check_path(path: &Path, samples: &[Sample<'_>]) -> Option<Diagnostic> {
    let mut first_miss: Option<(Miss<'_>, &str)> = None;
    for sample in samples {
        match select(path, &sample.root) {
            // Filters and slices: the evaluator's query engine, on the sample as the runtime
            // parses it.
            None => {
                let matched = hookmap_core::__private::Json::parse(sample.text)
                    .is_some_and(|document| !crate::evaluate::nodelist(&path.query, &document).is_empty());
                if matched {
                    return None;
                }
            }
            Some(Ok(_)) => return None,
            Some(Err(miss)) => {
                if first_miss.is_none() {
                    first_miss = Some((miss, sample.name));
                }
            }
        }
    }
    let Some((miss, sample)) = first_miss else {
        return Some(
            Diagnostic::error(format!("`{}` matches nothing in the sample payloads", path.text))
                .at(path.span.clone())
                .label("no node of any sample passes this path's filters and slices"),
        );
    };
    let at = if miss.pointer.is_empty() { "/".to_owned() } else { miss.pointer.clone() };
    let mut d = Diagnostic::error(format!("`{}` matches nothing in the sample payloads", path.text))
        .at(path.file_span(miss.selector.clone()));
    if let (Some(name), Kind::Object(members)) = (&miss.name, &miss.parent.kind) {
        d = d.label(format!("no member `{name}` at `{at}` in sample `{sample}`"));
        let keys: Vec<&str> = members.iter().map(|m| m.key.text.as_str()).collect();
        if let Some(best) = did_you_mean(name, keys.iter().copied()) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        if !keys.is_empty() {
            d = d.note(format!("`{at}` in `{sample}` has: {}", keys.join(", ")));
        }
    } else {
        d = d.label(format!("nothing here at `{at}` in sample `{sample}` ({})", miss.parent.describe()));
    }
    Some(d)
}
