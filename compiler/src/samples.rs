//! Sample payloads: a mapper is checked against the payloads its team names, at build time.
//!
//! The build fails when a path matches nothing in any sample (with the keys that exist where it
//! went astray), when a sample value cannot become what its field needs, or when a sample fails
//! a `payload_validations` rule. Errors point at the mapper's path and name the sample file and
//! the JSON pointer inside it.

use crate::date::{self, TimeFormat};
use crate::diagnostics::Diagnostic;
use crate::frontend::json::{self, Kind, Value};
use crate::frontend::suggest::did_you_mean;
use crate::jsonpath::ast::{SegmentKind, Selector};
use crate::model::{JsonType, Mapper, Path, Source as Input, TimeSource};
use crate::source::Source;

/// What a path's value must be.
#[derive(Clone, Copy)]
enum Role<'m> {
    /// `customer_id`, `anon_id`: a string or an integer.
    Identifier(&'static str),
    /// `event_name`, `app_version`: a string.
    Text(&'static str),
    /// `user_time`: an integer, or a string its formats read.
    Time,
    /// A `#MERGE` part: a string.
    MergePart,
    /// An attribute: anything.
    Attribute,
    /// `create_all`: an object.
    CreateAll(&'m str),
    /// A validation rule.
    Validation(JsonType),
}

/// A sample parsed, with its name.
struct Sample<'s> {
    name: &'s str,
    root: Value,
}

/// Checks `mapper` against every sample; returns the problems found (empty when all is well).
pub fn check(mapper: &Mapper, _plan: &crate::ir::Plan, samples: &[Source]) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut parsed = Vec::new();
    for sample in samples {
        match json::parse(&sample.text) {
            (Some(root), _) => parsed.push(Sample { name: &sample.name, root }),
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
    let formats: Vec<TimeFormat> =
        mapper.user_time.iter().flat_map(|t| t.formats.iter().map(|f| f.value.clone())).collect();
    let timezone = mapper.timezone.as_ref().map(|t| t.value.as_str());
    for (path, role) in paths(mapper) {
        check_path(path, role, &parsed, &formats, timezone, &mut errors);
    }
    if let Some(time) = &mapper.user_time
        && let TimeSource::Merge { date, time: clock } = &time.source.value
    {
        check_merge(date, clock, &parsed, &formats, timezone, &mut errors);
    }
    errors
}

/// Every path of the mapper with what its value must be.
fn paths(mapper: &Mapper) -> Vec<(&Path, Role<'_>)> {
    fn path(source: &Option<crate::model::Spanned<Input>>) -> Option<&Path> {
        match source {
            Some(crate::model::Spanned { value: Input::Path(p), .. }) => Some(p),
            _ => None,
        }
    }
    let mut out: Vec<(&Path, Role<'_>)> = Vec::new();
    out.extend(path(&mapper.customer_id).map(|p| (p, Role::Identifier("customer_id"))));
    out.extend(path(&mapper.anon_id).map(|p| (p, Role::Identifier("anon_id"))));
    out.extend(path(&mapper.event_name).map(|p| (p, Role::Text("event_name"))));
    out.extend(path(&mapper.app_version).map(|p| (p, Role::Text("app_version"))));
    if let Some(time) = &mapper.user_time {
        match &time.source.value {
            TimeSource::Path(p) => out.push((p, Role::Time)),
            TimeSource::Merge { date, time } => {
                out.extend([(date, Role::MergePart), (time, Role::MergePart)])
            }
        }
    }
    for (attributes, name) in
        [(&mapper.attr, "attr.create_all"), (&mapper.user_attributes, "user_attributes.create_all")]
    {
        for attribute in &attributes.entries {
            if let Input::Path(p) = &attribute.source.value {
                out.push((p, Role::Attribute));
            }
        }
        out.extend(attributes.create_all.iter().map(|p| (p, Role::CreateAll(name))));
    }
    out.extend(mapper.validations.iter().map(|v| (&v.path, Role::Validation(v.ty.value))));
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

fn check_path(
    path: &Path,
    role: Role<'_>,
    samples: &[Sample<'_>],
    formats: &[TimeFormat],
    timezone: Option<&str>,
    errors: &mut Vec<Diagnostic>,
) {
    let mut first_miss: Option<(Miss<'_>, &str)> = None;
    let mut matched = false;
    for sample in samples {
        match select(path, &sample.root) {
            None => return,
            Some(Err(miss)) => {
                if first_miss.is_none() {
                    first_miss = Some((miss, sample.name));
                }
            }
            Some(Ok(nodes)) => {
                matched = true;
                for (value, pointer) in nodes {
                    if let Some(problem) = value_problem(value, role, formats, timezone) {
                        errors.push(
                            Diagnostic::error(format!(
                                "sample `{}` has at `{}` {problem}",
                                sample.name,
                                if pointer.is_empty() { "/" } else { &pointer }
                            ))
                            .at(path.span.clone())
                            .label(format!("`{}` reads it", path.text)),
                        );
                        break;
                    }
                }
            }
        }
    }
    // Validations must hold in every sample; other paths must match in at least one.
    if let Role::Validation(ty) = role
        && let Some((miss, sample)) = &first_miss
    {
        errors.push(
            Diagnostic::error(format!(
                "sample `{sample}` fails payload_validations: `{}` ({}) is missing",
                path.text,
                type_name(ty)
            ))
            .at(path.span.clone()),
        );
        let _ = miss;
        return;
    }
    if matched {
        return;
    }
    if let Some((miss, sample)) = first_miss {
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
        errors.push(d);
    }
}

/// Why `value` cannot become what `role` needs, if it cannot.
fn value_problem(
    value: &Value,
    role: Role<'_>,
    formats: &[TimeFormat],
    timezone: Option<&str>,
) -> Option<String> {
    let found = value.describe();
    let integer =
        matches!(&value.kind, Kind::Number(n) if n.bytes().all(|b| b.is_ascii_digit() || b == b'-'));
    match (role, &value.kind) {
        (_, Kind::Null) => None,
        (Role::Identifier(field), kind) => (!matches!(kind, Kind::String(_)) && !integer)
            .then(|| format!("{found}, but {field} must be a string or an integer")),
        (Role::Text(field), kind) => {
            (!matches!(kind, Kind::String(_))).then(|| format!("{found}, but {field} must be a string"))
        }
        (Role::MergePart, kind) => {
            (!matches!(kind, Kind::String(_))).then(|| format!("{found}, but #MERGE parts must be strings"))
        }
        (Role::Time, Kind::String(s)) if formats.is_empty() => {
            Some(format!("the string {:?}, but user_time strings need formats.user_time", s.text))
        }
        (Role::Time, Kind::String(s)) => date::evaluate(formats, timezone, &s.text)
            .is_none()
            .then(|| format!("the time {:?}, which matches none of the user_time formats", s.text)),
        (Role::Time, _) if integer => None,
        (Role::Time, _) => Some(format!("{found}, but user_time must be an integer or a string")),
        (Role::CreateAll(field), kind) => (!matches!(kind, Kind::Object(_)))
            .then(|| format!("{found}, but {field} must point at an object")),
        (Role::Attribute, _) => None,
        (Role::Validation(ty), kind) => {
            let ok = match ty {
                JsonType::String => matches!(kind, Kind::String(_)),
                JsonType::Number => matches!(kind, Kind::Number(_)),
                JsonType::Integer => {
                    matches!(kind, Kind::Number(n) if n.parse::<f64>().is_ok_and(|f| f.fract() == 0.0))
                }
                JsonType::Boolean => matches!(kind, Kind::Bool(_)),
                JsonType::Object => matches!(kind, Kind::Object(_)),
                JsonType::Array => matches!(kind, Kind::Array(_)),
            };
            (!ok).then(|| format!("{found}, which fails payload_validations ({} expected)", type_name(ty)))
        }
    }
}

fn type_name(ty: JsonType) -> &'static str {
    match ty {
        JsonType::String => "string",
        JsonType::Number => "number",
        JsonType::Integer => "integer",
        JsonType::Boolean => "boolean",
        JsonType::Object => "object",
        JsonType::Array => "array",
    }
}

/// `#MERGE`: the date and time of each sample, joined, must be read by the formats.
fn check_merge(
    date: &Path,
    time: &Path,
    samples: &[Sample<'_>],
    formats: &[TimeFormat],
    timezone: Option<&str>,
    errors: &mut Vec<Diagnostic>,
) {
    for sample in samples {
        let (Some(Ok(dates)), Some(Ok(times))) = (select(date, &sample.root), select(time, &sample.root))
        else {
            continue;
        };
        for ((d, _), (t, _)) in dates.iter().zip(&times) {
            if let (Kind::String(d), Kind::String(t)) = (&d.kind, &t.kind) {
                let merged = format!("{} {}", d.text, t.text);
                if date::evaluate(formats, timezone, &merged).is_none() {
                    errors.push(
                        Diagnostic::error(format!(
                            "sample `{}`: #MERGE makes the time {merged:?}, which matches none of the user_time formats",
                            sample.name
                        ))
                        .at(date.span.clone()),
                    );
                    return;
                }
            }
        }
    }
}
