//! Rules across keys, run once the whole file has been walked: required keys, what each
//! `mapping_type` allows, `#MERGE` with `formats`, and batching.

use crate::diagnostics::Diagnostic;
use crate::jsonpath::ast::{Segment, SegmentKind, Selector};
use crate::model::{MappingType, Path, Source};

use super::config::{Draft, Mappings, TimeDraft};

/// Pushes an error for every cross-key rule `d` breaks.
pub(crate) fn check(d: &Draft, errors: &mut Vec<Diagnostic>) {
    required_top_keys(d, errors);
    if let Some(m) = &d.mappings {
        if let Some(ty) = &d.mapping_type {
            match ty.value {
                MappingType::Events => events(m, errors),
                MappingType::Users => users(m, errors),
            }
        }
        merge(m, errors);
    }
    batching(d, errors);
}

fn required_top_keys(d: &Draft, errors: &mut Vec<Diagnostic>) {
    let examples = [
        ("partner_name", "\"partner_name\": \"your_integration_name\""),
        ("mapping_type", "\"mapping_type\": \"events\""),
        ("mappings", "\"mappings\": { ... }"),
    ];
    for (key, example) in examples {
        if d.lacks(key) {
            errors.push(
                Diagnostic::error(format!("the mapper has no `{key}`"))
                    .at(d.root.start..d.root.start + 1)
                    .label(format!("missing `{key}`"))
                    .help(format!("add `{example}`")),
            );
        }
    }
}

fn missing(m: &Mappings, kind: &str, what: &str, help: &str) -> Diagnostic {
    Diagnostic::error(format!("{kind} mapper needs {what} in `mappings`"))
        .at(m.key.clone())
        .label(format!("no {what} here"))
        .help(help.to_owned())
}

fn not_for(m: &Mappings, key: &str, mapping_type: &str, help: &str) -> Option<Diagnostic> {
    let span = m.has(key)?;
    Some(
        Diagnostic::error(format!("`{key}` is not used when `mapping_type` is {mapping_type:?}"))
            .at(span.clone())
            .label(format!("not allowed in {mapping_type} mappers"))
            .help(help.to_owned()),
    )
}

fn events(m: &Mappings, errors: &mut Vec<Diagnostic>) {
    let kind = "an events";
    if m.lacks("customer_id") && m.lacks("anon_id") {
        errors.push(missing(
            m,
            kind,
            "`customer_id` or `anon_id`",
            "add `\"customer_id\": \"$.email\"`, or `anon_id` for users not yet identified",
        ));
    }
    if m.lacks("event_name") {
        errors.push(missing(
            m,
            kind,
            "`event_name`",
            "add `\"event_name\": \"$.event\"`, or a fixed name such as `\"event_name\": \"Form Submitted\"`",
        ));
    }
    if m.lacks("user_time") {
        errors.push(missing(
            m,
            kind,
            "`user_time`",
            "add `\"user_time\": \"$.timestamp\"` (epoch milliseconds, or a string read with `formats.user_time`)",
        ));
    }
    if m.lacks("platform") {
        errors.push(missing(
            m,
            kind,
            "`platform`",
            "add `\"platform\": \"web\"` (one of \"web\", \"android\", \"ios\", \"api\")",
        ));
    }
    errors.extend(not_for(
        m,
        "update_existing_only",
        "events",
        "`update_existing_only` applies to profile updates: `\"mapping_type\": \"users\"`",
    ));
}

fn users(m: &Mappings, errors: &mut Vec<Diagnostic>) {
    let kind = "a users";
    if m.lacks("customer_id") {
        errors.push(missing(
            m,
            kind,
            "`customer_id`",
            "add `\"customer_id\": \"$.email\"`; profiles are found by their customer id",
        ));
    }
    let events_only = "events need `\"mapping_type\": \"events\"`";
    errors.extend(not_for(m, "event_name", "users", events_only));
    errors.extend(not_for(m, "anon_id", "users", "profiles are identified by `customer_id` only"));
    errors.extend(not_for(m, "attr", "users", "profile attributes go in `user_attributes`"));
}

/// `user_time: "#MERGE"` needs the `#MERGE` object and a pattern to read the joined text; a
/// `#MERGE` object without it is a mapper that silently ignores part of itself.
fn merge(m: &Mappings, errors: &mut Vec<Diagnostic>) {
    let Some(user_time) = &m.user_time else {
        // Absent: required-key rules speak. Invalid: already reported.
        if let (Some((key, _)), None) = (&m.merge, m.has("user_time")) {
            errors.push(merge_unused(key.clone()));
        }
        return;
    };
    match &user_time.value {
        TimeDraft::Merge => {
            if m.merge.is_none() {
                errors.push(
                    Diagnostic::error("`user_time` is \"#MERGE\" but `mappings` has no `#MERGE` object")
                        .at(user_time.span.clone())
                        .label("nothing to merge")
                        .help(
                            "add `\"#MERGE\": {\"user_time\": {\"date\": \"$.date\", \"time\": \"$.time\"}}` \
                             to `mappings`",
                        ),
                );
            }
            if !m.formats_present {
                errors.push(
                    Diagnostic::error("`user_time` \"#MERGE\" needs a date pattern in `formats.user_time`")
                        .at(user_time.span.clone())
                        .label("the merged date and time are read with `formats.user_time`")
                        .help("add `\"formats\": {\"user_time\": \"yyyy-MM-dd HH:mm:ss\"}` to `mappings`"),
                );
            }
        }
        TimeDraft::Path(_) => {
            if let Some((key, _)) = &m.merge {
                errors.push(merge_unused(key.clone()));
            }
        }
    }
}

fn merge_unused(key: crate::model::Span) -> Diagnostic {
    Diagnostic::error("`#MERGE` is set but `user_time` is not \"#MERGE\"")
        .at(key)
        .label("never used")
        .help("set `\"user_time\": \"#MERGE\"` to read the time from it, or remove it")
}

/// Every path of the mapper with whether it is a mapping (not a validation), in file order.
fn all_paths(d: &Draft) -> Vec<(&Path, bool)> {
    let mut out: Vec<(&Path, bool)> = Vec::new();
    if let Some(m) = &d.mappings {
        let sources = [&m.customer_id, &m.anon_id, &m.event_name, &m.app_version];
        for s in sources.into_iter().flatten() {
            if let Source::Path(p) = &s.value {
                out.push((p, true));
            }
        }
        if let Some(t) = &m.user_time
            && let TimeDraft::Path(p) = &t.value
        {
            out.push((p, true));
        }
        if let Some((_, Some((date, time)))) = &m.merge {
            out.extend([(date, true), (time, true)]);
        }
        for attrs in [&m.attr, &m.user_attributes] {
            for e in &attrs.entries {
                if let Source::Path(p) = &e.source.value {
                    out.push((p, true));
                }
            }
            out.extend(attrs.create_all.iter().map(|p| (p, true)));
        }
    }
    out.extend(d.validations.iter().map(|v| (&v.path, false)));
    out.sort_by_key(|(p, _)| p.span.start);
    out
}

fn has_wildcard(s: &Segment) -> bool {
    s.selectors.iter().any(|s| matches!(s, Selector::Wildcard { .. }))
}

/// Whether a path selects array elements one by one somewhere: `[*]`, a filter or a slice in a
/// child segment of its own. In a batching mapper such a path can make the records (see
/// `lower`, which picks the chain).
fn iterates(p: &Path) -> bool {
    p.query.segments.iter().any(|s| {
        has_wildcard(s)
            || (s.kind == SegmentKind::Child
                && matches!(s.selectors.as_slice(), [Selector::Filter { .. } | Selector::Slice { .. }]))
    })
}

/// The segments up to and including the last one with a wildcard: the arrays a path iterates.
fn iteration_prefix(p: &Path) -> Option<&[Segment]> {
    let last = p.query.segments.iter().rposition(has_wildcard)?;
    Some(&p.query.segments[..=last])
}

/// The query text of a prefix, such as `$.orders[*]`.
fn prefix_text<'p>(p: &'p Path, prefix: &[Segment]) -> &'p str {
    let end = prefix.last().map_or(1, |s| s.span.end);
    p.text.get(..end).unwrap_or(&p.text)
}

/// Whether two segments select the same thing, however written (`.a` and `['a']` are the same).
/// Filters are compared by their text: equal meaning in different spelling is rare enough.
fn same_segment(a: &Segment, a_text: &str, b: &Segment, b_text: &str) -> bool {
    a.kind == b.kind
        && a.selectors.len() == b.selectors.len()
        && a.selectors.iter().zip(&b.selectors).all(|(x, y)| match (x, y) {
            (Selector::Name { name: n, .. }, Selector::Name { name: m, .. }) => n == m,
            (Selector::Wildcard { .. }, Selector::Wildcard { .. }) => true,
            (Selector::Index { index: i, .. }, Selector::Index { index: j, .. }) => i == j,
            (
                Selector::Slice { start: s1, end: e1, step: t1, .. },
                Selector::Slice { start: s2, end: e2, step: t2, .. },
            ) => (s1, e1, t1) == (s2, e2, t2),
            (Selector::Filter { span: s1, .. }, Selector::Filter { span: s2, .. }) => {
                a_text.get(s1.clone()).is_some_and(|t| Some(t) == b_text.get(s2.clone()))
            }
            _ => false,
        })
}

fn is_prefix(short: (&Path, &[Segment]), long: (&Path, &[Segment])) -> bool {
    short.1.len() <= long.1.len()
        && short.1.iter().zip(long.1).all(|(a, b)| same_segment(a, &short.0.text, b, &long.0.text))
}

/// With `batching: false` no path may iterate; with `true` some mapping path must, and all
/// iterating paths must lie on one chain of arrays, since one record is made per element of the
/// deepest.
fn batching(d: &Draft, errors: &mut Vec<Diagnostic>) {
    let paths = all_paths(d);
    let batching = d.batching.as_ref().map(|b| b.value);
    if batching != Some(true) {
        if batching.is_none() && d.has("batching").is_some() {
            return; // invalid value, already reported
        }
        let why = if batching.is_none() { "is not set (false by default)" } else { "is false" };
        for (p, _) in &paths {
            let Some(seg) = p.query.segments.iter().find(|s| has_wildcard(s)) else { continue };
            errors.push(
                Diagnostic::error(format!("`{}` iterates over an array, but `batching` {why}", p.text))
                    .at(p.file_span(seg.span.clone()))
                    .label("iterates over an array")
                    .help("set `\"batching\": true` to make one record per array element"),
            );
        }
        return;
    }

    if !paths.iter().any(|(p, mapping)| *mapping && iterates(p))
        && let Some(b) = &d.batching
    {
        errors.push(
            Diagnostic::error(
                "`batching` is true but no mapping path iterates an array (with `[*]`, a filter or a slice)",
            )
            .at(b.span.clone())
            .label("nothing to iterate")
            .help(
                "use paths such as \"$.orders[*].id\" or \"$.orders[?@.paid].id\" to make one record \
                     per element, or set `\"batching\": false`",
            ),
        );
    }

    // The longest prefix so far; each new prefix must extend it or be a prefix of it.
    let mut chain: Option<(&Path, &[Segment])> = None;
    for (p, _) in paths {
        let Some(prefix) = iteration_prefix(p) else { continue };
        let Some(current) = chain else {
            chain = Some((p, prefix));
            continue;
        };
        if is_prefix((p, prefix), current) {
            continue;
        }
        if is_prefix(current, (p, prefix)) {
            chain = Some((p, prefix));
            continue;
        }
        let this = prefix_text(p, prefix);
        let other = prefix_text(current.0, current.1);
        errors.push(
            Diagnostic::error(format!("`{this}` and `{other}` are not on one chain of arrays"))
                .at(p.file_span(0..this.len()))
                .label(format!("iterates a different array than `{other}`"))
                .note(
                    "with `batching: true` one record is made per element of the deepest array, so \
                     every `[*]` path must extend one chain, like `$.orders[*]` and `$.orders[*].items[*]`",
                ),
        );
    }
}
