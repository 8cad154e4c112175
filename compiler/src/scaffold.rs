//! A first mapper for a partner's sample payloads (`hookmap scaffold`): the customer id, the time
//! and its format, batching, and the other leaves as attributes, each choice with its reason.
//!
//! The guesses are checked the way the build checks them: time formats are tried with the same
//! date reader as the generated parsers, and `hookmap scaffold` compiles its proposal with the
//! payloads as samples before printing it.

use crate::frontend::json::{self, Kind, Value};
use crate::source::Source;

/// A proposed mapper and why each part is what it is.
#[derive(Clone, Debug)]
pub struct Proposal {
    /// The mapper file, pretty JSON.
    pub mapper: String,
    /// One line per choice, for standard error.
    pub reasons: Vec<String>,
}

/// A value met at one place in every item, and what it held there.
struct Leaf<'v> {
    /// Member names from the item (for an answer, the list's names and the answer's type).
    names: Vec<String>,
    /// For an answer of a list of typed answers: the path of the list, the type, the member.
    answer: Option<(Vec<String>, String, String)>,
    /// Its values, one per item that has it.
    values: Vec<&'v Value>,
}

/// Names that usually hold an id of the user, best first.
const ID_NAMES: &[&str] =
    &["customer_id", "user_id", "userid", "contact_id", "customerid", "external_id", "uid", "id"];
/// Names of an anonymous id, for events without any user id.
const ANON_NAMES: &[&str] = &["anon_id", "anonymous_id", "session_id", "device_id", "visitor_id"];
/// Names that usually hold the event's name.
const EVENT_NAMES: &[&str] = &["event_name", "event", "event_type", "type", "action", "topic"];
/// Leaves of an events payload that describe the person rather than the event.
const PROFILE_NAMES: &[&str] = &[
    "first_name",
    "last_name",
    "name",
    "full_name",
    "phone",
    "mobile",
    "city",
    "country",
    "company",
    "gender",
];
/// Members that usually carry a payload's list of items, best first.
const LIST_NAMES: &[&str] = &["items", "orders", "events", "records", "data", "entries", "results", "rows"];
/// Date-and-time patterns tried on strings, most specific first.
const DATE_TIME_PATTERNS: &[&str] = &[
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ssXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
    "yyyy-MM-dd'T'HH:mm:ssZ",
    "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd HH:mm:ss",
    "yyyy-MM-dd HH:mm",
    "dd/MM/yyyy HH:mm:ss",
    "dd/MM/yyyy HH:mm",
    "MM/dd/yyyy HH:mm:ss",
    "dd-MM-yyyy HH:mm:ss",
    "yyyy/MM/dd HH:mm:ss",
    "EEE, d MMM yyyy HH:mm:ss Z",
];
/// Date-only patterns (a time alone is no user time, but it may be `#MERGE`d with a date).
const DATE_PATTERNS: &[&str] = &["yyyy-MM-dd", "dd/MM/yyyy", "MM/dd/yyyy", "dd-MM-yyyy"];
/// Time-of-day patterns, for `#MERGE`.
const CLOCK_PATTERNS: &[&str] = &["HH:mm:ss", "HH:mm", "h:mm a"];

/// Proposes a mapper of `mapping_type` (`events` or `users`) for `samples`.
pub fn scaffold(samples: &[Source], users: bool, partner: &str) -> Result<Proposal, String> {
    let mut roots = Vec::new();
    for sample in samples {
        match json::parse(&sample.text) {
            (Some(root), _) => roots.push(root),
            (None, problems) => {
                let why = problems.first().map(|d| d.message.clone()).unwrap_or_default();
                return Err(format!("{} is not JSON: {why}", sample.name));
            }
        }
    }
    let mut reasons = Vec::new();
    let (prefix, items) = batch(&roots, &mut reasons);
    let mut leaves = leaves(&items);
    let path = |leaf: &Leaf<'_>| leaf_path(&prefix, leaf);
    let everywhere = |leaf: &Leaf<'_>| leaf.values.len() == items.len();
    let key = |leaf: &Leaf<'_>| leaf.names.last().map(|n| n.to_ascii_lowercase()).unwrap_or_default();

    let mut mappings: Vec<(String, J)> = Vec::new();
    // The user: an email, else an id-like name; ids must be strings or integers everywhere.
    let is_id = |v: &&Value| match &v.kind {
        Kind::String(s) => !s.text.is_empty(),
        Kind::Number(n) => n.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
        _ => false,
    };
    let email = leaves.iter().position(|l| {
        everywhere(l)
            && key(l).contains("email")
            && l.values.iter().all(|v| matches!(&v.kind, Kind::String(s) if s.text.contains('@')))
    });
    let id = || {
        ID_NAMES.iter().find_map(|name| {
            leaves.iter().position(|l| everywhere(l) && key(l) == *name && l.values.iter().all(is_id))
        })
    };
    let anon = || {
        ANON_NAMES.iter().find_map(|name| {
            leaves.iter().position(|l| everywhere(l) && key(l) == *name && l.values.iter().all(is_id))
        })
    };
    match (email, id()) {
        (Some(at), _) => {
            reasons.push(format!("customer_id: {}, an email address in every item", path(&leaves[at])));
            mappings.push(("customer_id".into(), J::Str(path(&leaves[at]))));
            leaves.remove(at);
        }
        (None, Some(at)) => {
            reasons.push(format!(
                "customer_id: {}, named like a user id and a string or integer in every item (no email found)",
                path(&leaves[at])
            ));
            mappings.push(("customer_id".into(), J::Str(path(&leaves[at]))));
            leaves.remove(at);
        }
        (None, None) => match anon() {
            Some(at) if !users => {
                reasons.push(format!(
                    "anon_id: {}, an anonymous id (no email or user id in every item; the Data API takes such events only once merged)",
                    path(&leaves[at])
                ));
                mappings.push(("anon_id".into(), J::Str(path(&leaves[at]))));
                leaves.remove(at);
            }
            _ => {
                return Err(
                    "no customer id: no email, user id or anonymous id is present in every item of the samples"
                        .into(),
                );
            }
        },
    }

    if !users {
        let named = EVENT_NAMES.iter().find_map(|name| {
            leaves.iter().position(|l| {
                everywhere(l)
                    && key(l) == *name
                    && l.values.iter().all(|v| matches!(&v.kind, Kind::String(s) if !s.text.is_empty()))
            })
        });
        match named {
            Some(at) => {
                reasons.push(format!("event_name: {}, named like an event name", path(&leaves[at])));
                mappings.push(("event_name".into(), J::Str(path(&leaves[at]))));
                leaves.remove(at);
            }
            None => {
                let name = format!("{partner} webhook");
                reasons.push(format!(
                    "event_name: \"{name}\", a literal (no event name in the payload): rename it"
                ));
                mappings.push(("event_name".into(), J::Str(name)));
            }
        }
    }

    let time = user_time(&mut leaves, &items, &prefix, &mut reasons);
    match time {
        Some(Time { source, formats }) => {
            mappings.push(("user_time".into(), source.0));
            if !users {
                mappings.push(("platform".into(), J::Str("web".into())));
                reasons.push("platform: web, the default of webhooks; change it for app events".into());
            }
            if let Some(merge) = source.1 {
                mappings.push(("#MERGE".into(), merge));
            }
            if !formats.is_empty() {
                let list = J::Arr(formats.into_iter().map(J::Str).collect());
                mappings.push(("formats".into(), J::Obj(vec![("user_time".into(), list)])));
            }
        }
        None if users => reasons.push("user_time: none (no value reads as a time in every item)".into()),
        None => {
            return Err("no time: events need user_time, and no value reads as a time in every item".into());
        }
    }

    let mut attr: Vec<(String, J)> = Vec::new();
    let mut profile: Vec<(String, J)> = Vec::new();
    for leaf in &leaves {
        let name = leaf.names.join("_");
        if name.is_empty() || name.starts_with("moe_") || name.chars().count() > 200 {
            reasons.push(format!("{}: left out (no valid attribute name)", path(leaf)));
            continue;
        }
        let to_profile = users || PROFILE_NAMES.contains(&key(leaf).as_str());
        let list = if to_profile { &mut profile } else { &mut attr };
        if list.iter().all(|(k, _)| *k != name) {
            list.push((name, J::Str(path(leaf))));
        }
    }
    if !attr.is_empty() {
        reasons.push(format!("attr: {} other {} of the items", attr.len(), leaves_word(attr.len())));
        mappings.push(("attr".into(), J::Obj(attr)));
    }
    if !profile.is_empty() {
        let what = if users { "other" } else { "personal" };
        reasons.push(format!(
            "user_attributes: {} {what} {} of the items",
            profile.len(),
            leaves_word(profile.len())
        ));
        mappings.push(("user_attributes".into(), J::Obj(profile)));
    }

    let mapper = J::Obj(vec![
        ("partner_name".into(), J::Str(partner.to_owned())),
        ("mapping_type".into(), J::Str(if users { "users" } else { "events" }.into())),
        ("mappings".into(), J::Obj(mappings)),
        ("batching".into(), J::Bool(prefix.is_some())),
    ]);
    let mut text = String::new();
    mapper.write(&mut text, 0);
    text.push('\n');
    Ok(Proposal { mapper: text, reasons })
}

fn leaves_word(n: usize) -> &'static str {
    if n == 1 { "leaf" } else { "leaves" }
}

/// The items the records come from: the elements of a list of objects every sample holds at the
/// same member (with its path up to `[*]`), or the payloads themselves.
fn batch<'v>(roots: &'v [Value], reasons: &mut Vec<String>) -> (Option<String>, Vec<&'v Value>) {
    // A list of objects (an empty list is a batch of nothing), somewhere not empty.
    let objects = |v: &Value| matches!(&v.kind, Kind::Array(items) if items.iter().all(|i| matches!(i.kind, Kind::Object(_))));
    let some_item = |v: &Value| matches!(&v.kind, Kind::Array(items) if !items.is_empty());
    if roots.iter().all(objects) && roots.iter().any(some_item) {
        reasons.push("batching: each payload is a list of objects, one record per element ($[*])".into());
        let items = roots.iter().flat_map(|r| match &r.kind {
            Kind::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        });
        return (Some("$[*]".into()), items.collect());
    }
    let member = |root: &'v Value, name: &str| match &root.kind {
        Kind::Object(members) => members.iter().find(|m| m.key.text == name).map(|m| &m.value),
        _ => None,
    };
    // Members that hold a list of objects in every sample, the usual names first.
    let mut candidates: Vec<String> = match roots.first().map(|r| &r.kind) {
        Some(Kind::Object(members)) => members.iter().map(|m| m.key.text.clone()).collect(),
        _ => Vec::new(),
    };
    candidates.retain(|name| {
        roots.iter().all(|r| member(r, name).is_some_and(objects))
            && roots.iter().any(|r| member(r, name).is_some_and(some_item))
    });
    candidates.sort_by_key(|name| LIST_NAMES.iter().position(|l| l == name).unwrap_or(LIST_NAMES.len()));
    if let Some(name) = candidates.first() {
        let prefix = format!("{}[*]", path_text(&None, std::slice::from_ref(name)));
        reasons.push(format!(
            "batching: `{name}` holds a list of objects in every sample, one record per element ({prefix})"
        ));
        let items = roots.iter().filter_map(|r| member(r, name)).flat_map(|list| match &list.kind {
            Kind::Array(items) => items.iter().collect(),
            _ => Vec::new(),
        });
        return (Some(prefix), items.collect());
    }
    reasons.push("batching: off, one record per payload (no list of objects in every sample)".into());
    (None, roots.iter().collect())
}

/// The leaves of the items, in document order: scalars and arrays of scalars, found through
/// objects (not through arrays).
fn leaves<'v>(items: &[&'v Value]) -> Vec<Leaf<'v>> {
    fn walk<'v>(value: &'v Value, names: &mut Vec<String>, out: &mut Vec<Leaf<'v>>) {
        match &value.kind {
            Kind::Object(members) if !members.is_empty() => {
                for member in members {
                    names.push(member.key.text.clone());
                    walk(&member.value, names, out);
                    names.pop();
                }
            }
            // A list of typed answers (`{"type": "email", "email": ...}`, as form tools send):
            // one leaf per type, selected with a filter.
            Kind::Array(items) if !items.is_empty() && items.iter().all(|i| answer_type(i).is_some()) => {
                for item in items {
                    let Some((kind, member)) = answer_type(item) else { continue };
                    let mut leaf_names = names.clone();
                    leaf_names.push(kind.to_owned());
                    match out.iter_mut().find(|l| l.names == leaf_names) {
                        Some(leaf) => leaf.values.push(&member.value),
                        None => out.push(Leaf {
                            names: leaf_names,
                            answer: Some((names.clone(), kind.to_owned(), member.key.text.clone())),
                            values: vec![&member.value],
                        }),
                    }
                }
            }
            Kind::Array(items)
                if items.iter().any(|i| matches!(i.kind, Kind::Object(_) | Kind::Array(_))) => {}
            _ if names.is_empty() => {}
            _ => match out.iter_mut().find(|l| l.names == *names) {
                Some(leaf) => leaf.values.push(value),
                None => out.push(Leaf { names: names.clone(), answer: None, values: vec![value] }),
            },
        }
    }
    let mut out = Vec::new();
    for item in items {
        walk(item, &mut Vec::new(), &mut out);
    }
    out
}

/// The type of an answer object and its value member: `type` names a member of the object
/// (`{"type": "email", "email": "a@b.c"}`).
fn answer_type(item: &Value) -> Option<(&str, &json::Member)> {
    let Kind::Object(members) = &item.kind else { return None };
    let kind = members.iter().find(|m| m.key.text == "type")?;
    let Kind::String(kind) = &kind.value.kind else { return None };
    let value = members.iter().find(|m| m.key.text == kind.text)?;
    Some((&kind.text, value))
}

/// A leaf's JSONPath.
fn leaf_path(prefix: &Option<String>, leaf: &Leaf<'_>) -> String {
    match &leaf.answer {
        Some((list, kind, member)) => {
            let quoted = kind.replace('\\', "\\\\").replace('\'', "\\'");
            format!(
                "{}[?@.type == '{quoted}']{}",
                path_text(prefix, list),
                &path_text(&Some(String::new()), std::slice::from_ref(member))
            )
        }
        None => path_text(prefix, &leaf.names),
    }
}

/// A member path as JSONPath: `$.a.b`, with brackets for names that need them.
fn path_text(prefix: &Option<String>, names: &[String]) -> String {
    let mut text = prefix.clone().unwrap_or_else(|| "$".to_owned());
    for name in names {
        let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain {
            text.push('.');
            text.push_str(name);
        } else {
            text.push_str(&format!("['{}']", name.replace('\\', "\\\\").replace('\'', "\\'")));
        }
    }
    text
}

/// `user_time`: its source (a path, or `"#MERGE"` with the `#MERGE` object) and its formats.
struct Time {
    source: (J, Option<J>),
    formats: Vec<String>,
}

/// The patterns, of `candidates`, that read every string of `leaf` (each string the first that
/// reads it), or `None` when some string is read by none.
fn patterns_for(values: &[&Value], candidates: &[&str]) -> Option<Vec<String>> {
    let mut used: Vec<String> = Vec::new();
    for value in values {
        let Kind::String(s) = &value.kind else { return None };
        let found = candidates.iter().find(|p| {
            crate::date::parse_format(p).is_ok_and(|f| crate::date::evaluate(&[f], None, &s.text).is_some())
        })?;
        if !used.iter().any(|u| u == found) {
            used.push((*found).to_owned());
        }
    }
    // In the order they are tried.
    used.sort_by_key(|u| candidates.iter().position(|c| c == u));
    Some(used)
}

fn user_time(
    leaves: &mut Vec<Leaf<'_>>,
    items: &[&Value],
    prefix: &Option<String>,
    reasons: &mut Vec<String>,
) -> Option<Time> {
    let everywhere = |leaf: &Leaf<'_>| leaf.values.len() == items.len();
    let hinted = |leaf: &Leaf<'_>| {
        let key = leaf.names.last().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        ["time", "date", "_at", "timestamp", "created", "updated"].iter().any(|h| key.contains(h))
            || key == "ts"
            || key.ends_with("_ts")
    };
    // Leaves named like a time first, then the others, in document order.
    let mut order: Vec<usize> = (0..leaves.len()).filter(|i| everywhere(&leaves[*i])).collect();
    order.sort_by_key(|i| !hinted(&leaves[*i]));
    for &i in &order {
        let leaf = &leaves[i];
        let path = leaf_path(prefix, leaf);
        let integers: Option<Vec<i64>> = leaf
            .values
            .iter()
            .map(|v| match &v.kind {
                Kind::Number(n) => n.parse().ok(),
                // `epoch_seconds` and `epoch_millis` read strings of digits too.
                Kind::String(s) if !s.text.is_empty() && s.text.bytes().all(|b| b.is_ascii_digit()) => {
                    s.text.parse().ok()
                }
                _ => None,
            })
            .collect();
        // Numbers are times only under a time-like name: a phone number has the size of an epoch.
        if let Some(numbers) = integers.filter(|_| hinted(leaf)) {
            let unit = if numbers.iter().all(|n| (1_000_000_000..100_000_000_000).contains(n)) {
                "epoch_seconds"
            } else if numbers.iter().all(|n| (1_000_000_000_000..100_000_000_000_000).contains(n)) {
                "epoch_millis"
            } else {
                continue;
            };
            reasons.push(format!("user_time: {path}, integers of the size of {unit} (e.g. {})", numbers[0]));
            leaves.remove(i);
            return Some(Time { source: (J::Str(path), None), formats: vec![unit.to_owned()] });
        }
        if let Some(formats) = patterns_for(&leaf.values, DATE_TIME_PATTERNS) {
            let zone = if formats.iter().all(|f| f.contains('X') || f.contains('Z')) {
                ""
            } else {
                " (no zone in the values: read as UTC; set `timezone` if the partner sends local times)"
            };
            reasons.push(format!("user_time: {path}, every value reads with {}{zone}", formats.join(" or ")));
            leaves.remove(i);
            return Some(Time { source: (J::Str(path), None), formats });
        }
    }
    // A date and a time of day in two leaves: `#MERGE`, read with the two patterns joined.
    let dates: Vec<(usize, String)> = order
        .iter()
        .filter_map(|&i| match patterns_for(&leaves[i].values, DATE_PATTERNS)?.as_slice() {
            [one] => Some((i, one.clone())),
            _ => None,
        })
        .collect();
    let merge = dates.iter().find_map(|(date, date_format)| {
        order.iter().filter(|c| *c != date).find_map(|&clock| {
            let format = CLOCK_PATTERNS.iter().map(|c| format!("{date_format} {c}")).find(|joined| {
                let Ok(parsed) = crate::date::parse_format(joined) else { return false };
                let formats = [parsed];
                leaves[*date].values.iter().zip(&leaves[clock].values).all(|(d, c)| {
                    match (&d.kind, &c.kind) {
                        (Kind::String(d), Kind::String(c)) => {
                            crate::date::evaluate(&formats, None, &format!("{} {}", d.text, c.text)).is_some()
                        }
                        _ => false,
                    }
                })
            })?;
            Some((*date, clock, format))
        })
    });
    if let Some((date, clock, format)) = merge {
        let (date_path, clock_path) = (leaf_path(prefix, &leaves[date]), leaf_path(prefix, &leaves[clock]));
        reasons.push(format!(
            "user_time: #MERGE of {date_path} (a date) and {clock_path} (a time of day), read as {format} (UTC; set `timezone` for local times)"
        ));
        let merge = J::Obj(vec![(
            "user_time".into(),
            J::Obj(vec![("date".into(), J::Str(date_path)), ("time".into(), J::Str(clock_path))]),
        )]);
        let (first, second) = if date > clock { (date, clock) } else { (clock, date) };
        leaves.remove(first);
        leaves.remove(second);
        return Some(Time { source: (J::Str("#MERGE".into()), Some(merge)), formats: vec![format] });
    }
    // A date alone.
    let (at, format) = dates.into_iter().next()?;
    let path = leaf_path(prefix, &leaves[at]);
    reasons.push(format!("user_time: {path}, a date without a time ({format}, midnight UTC)"));
    leaves.remove(at);
    Some(Time { source: (J::Str(path), None), formats: vec![format] })
}

/// JSON with members in the order given, pretty-printed like the examples.
enum J {
    Str(String),
    Bool(bool),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    fn write(&self, out: &mut String, indent: usize) {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        match self {
            J::Str(s) => out.push_str(&quote(s)),
            J::Bool(b) => out.push_str(&b.to_string()),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent);
                }
                out.push(']');
            }
            J::Obj(members) if members.is_empty() => out.push_str("{}"),
            J::Obj(members) => {
                out.push_str("{\n");
                for (i, (key, value)) in members.iter().enumerate() {
                    out.push_str(&"  ".repeat(indent + 1));
                    out.push_str(&quote(key));
                    out.push_str(": ");
                    value.write(out, indent + 1);
                    out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
                }
                out.push_str(&"  ".repeat(indent));
                out.push('}');
            }
        }
    }
}
