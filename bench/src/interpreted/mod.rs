//! The interpreted baseline: what a service that reads mapper files at run time would do. The
//! mapper is loaded once (paths parsed into `serde_json_path` queries, formats translated); each
//! payload is parsed into a `serde_json::Value` and every query is evaluated on it. Records are
//! owned (`Record<'static>`), since the `Value` they were read from is dropped.
//!
//! It implements the mapper semantics of `docs/mapper-format.md` that the workloads use:
//! literals and paths (filters included), the batching chain, `create_all`, `user_time` with
//! formats and `#MERGE`. Mappers with `payload_validations` or a `timezone` are refused on load.

mod time;

use std::borrow::Cow;

use hookmap::{Attributes, Event, Platform, Profile, Record};
use serde_json::Value;
use serde_json_path::JsonPath;

use time::Formats;

/// A mapper loaded for interpretation.
#[derive(Debug)]
pub struct Interpreter {
    events: bool,
    /// `chain[k]` finds, in the value of scope `k`, the array whose elements are scope `k + 1`.
    chain: Vec<JsonPath>,
    customer_id: Option<Field>,
    anon_id: Option<Field>,
    event_name: Option<Field>,
    app_version: Field,
    platform: Platform,
    user_time: Option<UserTime>,
    update_existing_only: Option<bool>,
    attr: Attrs,
    user_attributes: Attrs,
}

/// A path, relative to the value of scope `depth` (the payload, or an element of the chain).
#[derive(Debug)]
struct Query {
    depth: usize,
    path: JsonPath,
}

#[derive(Debug)]
enum Field {
    Literal(Value),
    Path(Query),
}

#[derive(Debug)]
enum TimeSource {
    Path(Query),
    Merge(Query, Query),
}

#[derive(Debug)]
struct UserTime {
    source: TimeSource,
    formats: Formats,
}

#[derive(Debug, Default)]
struct Attrs {
    entries: Vec<(String, Field)>,
    create_all: Option<Query>,
}

impl Interpreter {
    /// Loads a mapper file's JSON text.
    pub fn new(mapper_json: &str) -> Result<Interpreter, String> {
        let mapper: Value = serde_json::from_str(mapper_json).map_err(|e| e.to_string())?;
        if mapper["payload_validations"].as_object().is_some_and(|v| !v.is_empty()) {
            return Err("the bench interpreter does not run payload_validations".into());
        }
        let m = &mapper["mappings"];
        if !m["timezone"].is_null() {
            return Err("the bench interpreter reads times in UTC only".into());
        }
        let events = mapper["mapping_type"] == "events";
        let chain = chain(&mapper)?;
        let field = |key: &str| match &m[key] {
            Value::Null => Ok(None),
            v => Field::new(v, &chain).map(Some),
        };
        let platform = match m["platform"].as_str() {
            Some("android") => Platform::Android,
            Some("ios") => Platform::Ios,
            Some("api") => Platform::Api,
            _ => Platform::Web,
        };
        let user_time = match &m["user_time"] {
            Value::Null => None,
            source => {
                let entries: Vec<&str> = match &m["formats"]["user_time"] {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                let source = if source == "#MERGE" {
                    let merge = &m["#MERGE"]["user_time"];
                    TimeSource::Merge(query(&merge["date"], &chain)?, query(&merge["time"], &chain)?)
                } else {
                    TimeSource::Path(query(source, &chain)?)
                };
                Some(UserTime { source, formats: Formats::new(&entries)? })
            }
        };
        Ok(Interpreter {
            events,
            customer_id: field("customer_id")?,
            anon_id: field("anon_id")?,
            event_name: field("event_name")?,
            app_version: field("app_version")?.unwrap_or(Field::Literal(Value::from("1.0.0"))),
            platform,
            user_time,
            update_existing_only: m["update_existing_only"].as_bool(),
            attr: Attrs::new(&m["attr"], &chain)?,
            user_attributes: Attrs::new(&m["user_attributes"], &chain)?,
            chain: chain.into_iter().map(|(_, path)| path).collect(),
        })
    }

    /// Maps one payload: parse it into a `Value`, walk the batching chain, evaluate every field.
    pub fn map(&self, payload: &[u8]) -> Result<Vec<Record<'static>>, String> {
        let root: Value = serde_json::from_slice(payload).map_err(|e| e.to_string())?;
        let mut records = Vec::new();
        let mut scopes = vec![&root];
        self.walk(&mut scopes, &mut records)?;
        Ok(records)
    }

    fn walk(&self, scopes: &mut Vec<&Value>, out: &mut Vec<Record<'static>>) -> Result<(), String> {
        let depth = scopes.len() - 1;
        let Some(array_path) = self.chain.get(depth) else {
            out.push(self.record(scopes)?);
            return Ok(());
        };
        let array = array_path.query(scopes[depth]).first();
        let Some(Value::Array(elements)) = array else {
            return Err(format!("the batch array at depth {depth} is missing or not an array"));
        };
        for element in elements {
            scopes.push(element);
            self.walk(scopes, out)?;
            scopes.pop();
        }
        Ok(())
    }

    fn record(&self, scopes: &[&Value]) -> Result<Record<'static>, String> {
        let customer_id = self.customer_id.as_ref().map(|f| identifier(f.get(scopes))).transpose()?.flatten();
        let user_attributes = self.user_attributes.build(scopes)?;
        let user_time = self.user_time.as_ref().map(|t| t.millis(scopes)).transpose()?;
        if !self.events {
            return Ok(Record::User(Profile {
                customer_id: customer_id.ok_or("customer_id is missing")?,
                user_time,
                update_existing_only: self.update_existing_only,
                user_attributes,
            }));
        }
        let anon_id = self.anon_id.as_ref().map(|f| identifier(f.get(scopes))).transpose()?.flatten();
        if customer_id.is_none() && anon_id.is_none() {
            return Err("customer_id is missing".into());
        }
        let text = |field: Option<&Field>, name: &str| match field.and_then(|f| f.get(scopes)) {
            Some(Value::String(s)) => Ok(Cow::Owned(s.clone())),
            Some(_) => Err(format!("{name} must be a string")),
            None => Err(format!("{name} is missing")),
        };
        Ok(Record::Event(Event {
            customer_id,
            anon_id,
            event_name: text(self.event_name.as_ref(), "event_name")?,
            user_time: user_time.ok_or("user_time is missing")?,
            platform: self.platform,
            app_version: text(Some(&self.app_version), "app_version")?,
            attr: self.attr.build(scopes)?,
            user_attributes,
        }))
    }
}

impl Field {
    fn new(value: &Value, chain: &[(String, JsonPath)]) -> Result<Field, String> {
        match value {
            Value::String(s) if s.starts_with('$') => query(value, chain).map(Field::Path),
            Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(Field::Literal(value.clone())),
            _ => Err(format!("{value} is not a field value")),
        }
    }

    /// The value, `None` for nothing or `null`.
    fn get<'v>(&'v self, scopes: &[&'v Value]) -> Option<&'v Value> {
        match self {
            Field::Literal(v) => Some(v),
            Field::Path(q) => q.get(scopes),
        }
    }
}

impl Query {
    fn get<'v>(&self, scopes: &[&'v Value]) -> Option<&'v Value> {
        self.path.query(scopes[self.depth]).first().filter(|v| !v.is_null())
    }
}

impl UserTime {
    fn millis(&self, scopes: &[&Value]) -> Result<i64, String> {
        let text = match &self.source {
            TimeSource::Path(q) => match q.get(scopes) {
                Some(Value::Number(n)) => {
                    let n = n.as_i64().ok_or("user_time must be an integer")?;
                    return n.checked_mul(self.formats.integer_unit()).ok_or_else(|| "out of range".into());
                }
                Some(Value::String(s)) => s.clone(),
                _ => return Err("user_time is missing or of the wrong type".into()),
            },
            TimeSource::Merge(date, time) => match (date.get(scopes), time.get(scopes)) {
                (Some(Value::String(d)), Some(Value::String(t))) => format!("{d} {t}"),
                _ => return Err("#MERGE needs two strings".into()),
            },
        };
        if self.formats.is_empty() {
            return Err("a string user_time needs formats.user_time".into());
        }
        self.formats.parse(&text).ok_or_else(|| format!("user_time {text:?} matches no format"))
    }
}

impl Attrs {
    fn new(object: &Value, chain: &[(String, JsonPath)]) -> Result<Attrs, String> {
        let mut attrs = Attrs::default();
        for (key, value) in object.as_object().into_iter().flatten() {
            if key == "create_all" {
                attrs.create_all = Some(query(value, chain)?);
            } else {
                attrs.entries.push((key.clone(), Field::new(value, chain)?));
            }
        }
        Ok(attrs)
    }

    /// Explicit attributes with a value, then the copied members not named explicitly.
    fn build(&self, scopes: &[&Value]) -> Result<Attributes<'static>, String> {
        let mut out = Attributes::with_capacity(self.entries.len());
        for (key, field) in &self.entries {
            if let Some(value) = field.get(scopes).and_then(attribute) {
                out.insert(key.clone(), value);
            }
        }
        if let Some(q) = &self.create_all {
            match q.get(scopes) {
                None => {}
                Some(Value::Object(members)) => {
                    for (key, value) in members {
                        if let Some(value) = attribute(value)
                            && !out.contains_key(key)
                        {
                            out.insert(key.clone(), value);
                        }
                    }
                }
                Some(_) => return Err("create_all must point at an object".into()),
            }
        }
        Ok(out)
    }
}

/// `customer_id`, `anon_id`: a string, or an integer as its decimal text.
fn identifier(value: Option<&Value>) -> Result<Option<Cow<'static, str>>, String> {
    match value {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Owned(s.clone()))),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(Cow::Owned(n.to_string()))),
        Some(other) => Err(format!("an identifier must be a string or an integer, not {other}")),
    }
}

fn attribute(value: &Value) -> Option<hookmap::Value<'static>> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => hookmap::Value::Bool(*b),
        Value::Number(n) => hookmap::Value::Number(Cow::Owned(n.to_string())),
        Value::String(s) => hookmap::Value::String(Cow::Owned(s.clone())),
        Value::Array(_) | Value::Object(_) => hookmap::Value::Json(Cow::Owned(value.to_string())),
    })
}

/// The batching chain: for each `[*]` of the longest iterating path, the path (relative to the
/// enclosing element) of the array it iterates, with the text up to there to place other paths.
fn chain(mapper: &Value) -> Result<Vec<(String, JsonPath)>, String> {
    let mut longest: Vec<&str> = Vec::new();
    collect_paths(&mapper["mappings"], &mut |path| {
        let parts: Vec<&str> = path.split("[*]").collect();
        if parts.len() - 1 > longest.len() {
            longest = parts[..parts.len() - 1].to_vec();
        }
    });
    let mut prefix = String::new();
    longest
        .iter()
        .map(|level| {
            prefix.push_str(level);
            prefix.push_str("[*]");
            let relative = format!("${}", level.trim_start_matches('$'));
            JsonPath::parse(&relative).map(|p| (prefix.clone(), p)).map_err(|e| e.to_string())
        })
        .collect()
}

/// Every path string under `value`.
fn collect_paths<'v>(value: &'v Value, f: &mut dyn FnMut(&'v str)) {
    match value {
        Value::String(s) if s.starts_with('$') => f(s),
        Value::Object(map) => map.values().for_each(|v| collect_paths(v, f)),
        _ => {}
    }
}

/// A path placed on the chain: the deepest chain prefix it starts with gives its scope, and the
/// rest is queried from that scope's value.
fn query(value: &Value, chain: &[(String, JsonPath)]) -> Result<Query, String> {
    let text = value.as_str().ok_or_else(|| format!("{value} is not a path"))?;
    let (depth, rest) = chain
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, (prefix, _))| text.strip_prefix(prefix.as_str()).map(|rest| (i + 1, rest)))
        .unwrap_or((0, text.trim_start_matches('$')));
    let path = JsonPath::parse(&format!("${rest}")).map_err(|e| format!("{text}: {e}"))?;
    Ok(Query { depth, path })
}
