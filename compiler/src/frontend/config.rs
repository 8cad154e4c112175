//! The mapper format's keys and value types: walks the spanned JSON into a [`Draft`], checking
//! everything that concerns one key at a time and collecting every error.
//!
//! Rules that relate several keys (what `mapping_type` requires, `#MERGE` and `formats`,
//! batching) need the whole file first, because JSON keys come in any order; they live in
//! `check.rs`.

use crate::date::{self, TimeFormat};
use crate::diagnostics::Diagnostic;
use crate::jsonpath;
use crate::model::{
    self, Attribute, Attributes, JsonType, Literal, Mapper, MappingType, Path, Platform, Source, Span,
    Spanned, TimeSource, UserTime, Validation,
};

use super::json::{Kind, Member, Str, Value};
use super::suggest::did_you_mean;

/// Keys of the top-level object. `$schema` names the JSON Schema an editor checks the file with
/// (`schema/mapper.schema.json`); it must be a string and is otherwise ignored.
pub(crate) const TOP_KEYS: &[&str] = &[
    "partner_name",
    "config_name",
    "mapping_type",
    "mappings",
    "batching",
    "payload_validations",
    "$schema",
];

/// Keys of `mappings`.
pub(crate) const MAPPING_KEYS: &[&str] = &[
    "customer_id",
    "anon_id",
    "event_name",
    "user_time",
    "platform",
    "app_version",
    "attr",
    "user_attributes",
    "formats",
    "timezone",
    "#MERGE",
    "update_existing_only",
];

const PLATFORMS: &[&str] = &["web", "android", "ios", "api"];
const MAPPING_TYPES: &[&str] = &["events", "users"];
const JSON_TYPES: &[&str] = &["string", "number", "integer", "boolean", "object", "array"];

// The Data API's rules live in `hookmap-data-api`, shared with the gateway's delivery checks.
use hookmap_data_api::{MAX_NAME_CHARS, MAX_VALUE_CHARS, NameProblem, RESERVED_PREFIX};

/// What the walk found, valid or not. Keys whose value was invalid are recorded as present
/// (with their key span) but without a value, so `check.rs` does not also call them missing.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    /// The top-level object.
    pub root: Span,
    /// Top-level keys present, with their key spans.
    pub keys: Vec<(&'static str, Span)>,
    /// Known keys suggested for misspelled ones: not also reported missing.
    pub suggested: Vec<&'static str>,
    pub partner_name: Option<Spanned<String>>,
    pub config_name: Option<Spanned<String>>,
    pub mapping_type: Option<Spanned<MappingType>>,
    /// `None` when `mappings` is absent or not an object.
    pub mappings: Option<Mappings>,
    pub batching: Option<Spanned<bool>>,
    pub validations: Vec<Validation>,
}

/// What `mappings` holds.
#[derive(Debug, Default)]
pub(crate) struct Mappings {
    /// The `"mappings"` key: where "missing field" errors point.
    pub key: Span,
    /// Keys present, with their key spans.
    pub keys: Vec<(&'static str, Span)>,
    /// Known keys suggested for misspelled ones: not also reported missing.
    pub suggested: Vec<&'static str>,
    pub customer_id: Option<Spanned<Source>>,
    pub anon_id: Option<Spanned<Source>>,
    pub event_name: Option<Spanned<Source>>,
    pub user_time: Option<Spanned<TimeDraft>>,
    pub platform: Option<Spanned<Platform>>,
    pub app_version: Option<Spanned<Source>>,
    pub update_existing_only: Option<Spanned<bool>>,
    pub attr: Attributes,
    pub user_attributes: Attributes,
    /// `formats.user_time`: the value's span and the formats, when present and valid.
    pub formats: Option<(Span, Vec<Spanned<TimeFormat>>)>,
    /// Whether `formats.user_time` is present at all (valid or not).
    pub formats_present: bool,
    pub timezone: Option<Spanned<String>>,
    /// The `#MERGE` key and, when complete and valid, its date and time paths.
    pub merge: Option<(Span, Option<(Path, Path)>)>,
}

/// `user_time` before `#MERGE` and `formats` are joined to it.
#[derive(Clone, Debug)]
pub(crate) enum TimeDraft {
    Path(Path),
    Merge,
}

impl Draft {
    pub fn has(&self, key: &str) -> Option<&Span> {
        self.keys.iter().find(|(k, _)| *k == key).map(|(_, s)| s)
    }

    /// Whether `key` is absent and no misspelling of it was reported.
    pub fn lacks(&self, key: &str) -> bool {
        self.has(key).is_none() && !self.suggested.contains(&key)
    }
}

/// `app_version` of an events mapper that sets none (the seed's documented default).
pub(crate) const DEFAULT_APP_VERSION: &str = "1.0.0";

impl Draft {
    /// The model, when every part needed is there and valid (that is, when no error was found).
    pub fn into_mapper(self) -> Option<Mapper> {
        let m = self.mappings?;
        let mapping_type = self.mapping_type?;
        let user_time = match m.user_time {
            None => None,
            Some(t) => {
                let source = match t.value {
                    TimeDraft::Path(p) => TimeSource::Path(p),
                    TimeDraft::Merge => {
                        let (date, time) = m.merge?.1?;
                        TimeSource::Merge { date, time }
                    }
                };
                let (formats_span, formats) = match m.formats {
                    Some((span, formats)) => (Some(span), formats),
                    None => (None, Vec::new()),
                };
                Some(UserTime { source: Spanned { value: source, span: t.span }, formats, formats_span })
            }
        };
        let app_version = match (m.app_version, mapping_type.value) {
            (None, MappingType::Events) => Some(Spanned {
                value: Source::Literal(Literal::String(DEFAULT_APP_VERSION.to_owned())),
                span: m.key.clone(),
            }),
            (v, _) => v,
        };
        Some(Mapper {
            partner_name: self.partner_name?,
            config_name: self.config_name,
            mapping_type,
            batching: self
                .batching
                .unwrap_or(Spanned { value: false, span: self.root.start..self.root.start }),
            customer_id: m.customer_id,
            anon_id: m.anon_id,
            event_name: m.event_name,
            user_time,
            platform: m.platform,
            app_version,
            update_existing_only: m.update_existing_only,
            attr: m.attr,
            user_attributes: m.user_attributes,
            timezone: m.timezone,
            validations: self.validations,
        })
    }
}

impl Mappings {
    pub fn has(&self, key: &str) -> Option<&Span> {
        self.keys.iter().find(|(k, _)| *k == key).map(|(_, s)| s)
    }

    /// Whether `key` is absent and no misspelling of it was reported.
    pub fn lacks(&self, key: &str) -> bool {
        self.has(key).is_none() && !self.suggested.contains(&key)
    }
}

/// Walks the document. `None` when it is not an object at all.
pub(crate) fn walk(text: &str, root: &Value, errors: &mut Vec<Diagnostic>) -> Option<Draft> {
    let mut w = Walker { text, errors };
    let Kind::Object(members) = &root.kind else {
        w.errors.push(
            Diagnostic::error(format!("a mapper is a JSON object, found {}", root.describe()))
                .at(root.span.clone())
                .label("expected an object"),
        );
        return None;
    };
    let mut d = Draft { root: root.span.clone(), ..Draft::default() };
    for m in members {
        let key = match w.known_key(m, TOP_KEYS, "the mapper") {
            Ok(key) => key,
            Err(suggested) => {
                d.suggested.extend(suggested);
                continue;
            }
        };
        d.keys.push((key, m.key_span.clone()));
        let v = &m.value;
        match key {
            "partner_name" => d.partner_name = w.identifier(v, "partner_name"),
            "config_name" => d.config_name = w.identifier(v, "config_name"),
            "mapping_type" => d.mapping_type = w.mapping_type(v),
            "mappings" => d.mappings = w.mappings(m),
            "batching" => d.batching = w.bool(v, "batching"),
            "payload_validations" => d.validations = w.validations(v),
            "$schema" => _ = w.string(v, "`$schema`"),
            _ => unreachable!("BUG: key `{key}` is in TOP_KEYS but not handled"),
        }
    }
    Some(d)
}

struct Walker<'e> {
    /// The file, to quote strings as written (escapes and all) in messages.
    text: &'e str,
    errors: &'e mut Vec<Diagnostic>,
}

impl Walker<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    /// A string token's contents as the file spells them (a tab stays `\t`), for messages.
    fn as_written(&self, token: &Span) -> &str {
        self.text.get(token.start + 1..token.end.saturating_sub(1)).unwrap_or_default()
    }

    /// The key as one of `known`, or an "unknown key" error and the key suggested instead.
    fn known_key(
        &mut self,
        m: &Member,
        known: &'static [&'static str],
        place: &str,
    ) -> Result<&'static str, Option<&'static str>> {
        if let Some(k) = known.iter().find(|k| **k == m.key.text) {
            return Ok(k);
        }
        let mut d = Diagnostic::error(format!("unknown key `{}` in {place}", m.key.text))
            .at(m.key_span.clone())
            .label("unknown key");
        let suggestion = did_you_mean(&m.key.text, known.iter().copied());
        if let Some(s) = suggestion {
            d = d.help(format!("did you mean `{s}`?"));
        } else if known == TOP_KEYS && MAPPING_KEYS.contains(&m.key.text.as_str()) {
            d = d.help(format!("`{}` belongs inside `mappings`", m.key.text));
        } else {
            d = d.help(format!("expected one of {}", list(known, "`")));
        }
        self.push(d);
        Err(suggestion)
    }

    fn type_error(&mut self, what: &str, expected: &str, v: &Value) {
        let mut d = Diagnostic::error(format!("{what} must be {expected}, found {}", v.describe()))
            .at(v.span.clone())
            .label(format!("expected {expected}"));
        if let Kind::String(s) = &v.kind
            && (s.text == "true" || s.text == "false")
            && expected.contains("boolean")
        {
            d = d.help(format!("write `{}` without quotes", s.text));
        } else if let Kind::Number(n) = &v.kind
            && expected.contains("string")
        {
            d = d.help(format!("write it as a string: `\"{n}\"`"));
        }
        self.push(d);
    }

    fn string<'v>(&mut self, v: &'v Value, what: &str) -> Option<&'v Str> {
        match &v.kind {
            Kind::String(s) => Some(s),
            _ => {
                self.type_error(what, "a string", v);
                None
            }
        }
    }

    fn bool(&mut self, v: &Value, what: &str) -> Option<Spanned<bool>> {
        match v.kind {
            Kind::Bool(b) => Some(Spanned { value: b, span: v.span.clone() }),
            _ => {
                self.type_error(&format!("`{what}`"), "a boolean", v);
                None
            }
        }
    }

    /// `partner_name` and `config_name`: they end up in webhook URLs and generated names.
    fn identifier(&mut self, v: &Value, what: &str) -> Option<Spanned<String>> {
        let s = self.string(v, &format!("`{what}`"))?;
        let name = &s.text;
        let mut chars = name.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if valid {
            return Some(Spanned { value: name.clone(), span: v.span.clone() });
        }
        let mut d = Diagnostic::error(format!("{what} {name:?} is not a lowercase identifier"))
            .at(v.span.clone())
            .label("expected lowercase letters, digits, `_` and `-`, starting with a letter");
        let fixed = to_identifier(name);
        if !fixed.is_empty() {
            d = d.help(format!("such as {fixed:?}"));
        }
        self.push(d);
        None
    }

    fn mapping_type(&mut self, v: &Value) -> Option<Spanned<MappingType>> {
        let s = self.string(v, "`mapping_type`")?;
        let value = match s.text.as_str() {
            "events" => MappingType::Events,
            "users" => MappingType::Users,
            other => {
                let mut d = Diagnostic::error(format!("unknown mapping_type {other:?}"))
                    .at(v.span.clone())
                    .label(format!("expected {}", list(MAPPING_TYPES, "\"").replace(", ", " or ")));
                if let Some(s) = did_you_mean(other, MAPPING_TYPES.iter().copied()) {
                    d = d.help(format!("did you mean {s:?}?"));
                }
                self.push(d);
                return None;
            }
        };
        Some(Spanned { value, span: v.span.clone() })
    }

    /// Parses a string that must be a JSONPath; `span` is its token.
    fn path(&mut self, s: &Str, span: &Span) -> Option<Path> {
        match jsonpath::parse(&s.text) {
            Ok(query) => {
                Some(Path { text: s.text.clone(), query, span: span.clone(), escapes: s.escapes.clone() })
            }
            Err(e) => {
                let inner = clamp(&s.text, e.span);
                self.push(
                    Diagnostic::error(format!("invalid JSONPath `{}`", self.as_written(span)))
                        .at(model::string_span(span.start, &s.escapes, inner))
                        .label(e.message),
                );
                None
            }
        }
    }

    /// A string that must be a JSONPath (`create_all`, `#MERGE` parts, validation keys).
    fn path_only(&mut self, s: &Str, span: &Span, what: &str) -> Option<Path> {
        if s.text.starts_with('$') {
            return self.path(s, span);
        }
        let mut d = Diagnostic::error(format!("{what} must be a JSONPath, found the literal {:?}", s.text))
            .at(span.clone())
            .label("expected a JSONPath starting with `$`");
        if !s.text.is_empty() && !s.text.contains(char::is_whitespace) {
            let sep = if s.text.starts_with('.') || s.text.starts_with('[') { "" } else { "." };
            d = d.help(format!("did you mean \"${sep}{}\"?", s.text));
        }
        self.push(d);
        None
    }

    /// A mapping value: a JSONPath when it is a string starting with `$`, else a literal.
    fn source(&mut self, v: &Value, what: &str, literals: &str) -> Option<Spanned<Source>> {
        let source = match &v.kind {
            Kind::String(s) if s.text.starts_with('$') => Source::Path(self.path(s, &v.span)?),
            Kind::String(s) => Source::Literal(Literal::String(s.text.clone())),
            Kind::Number(n) => Source::Literal(Literal::Number(n.clone())),
            Kind::Bool(b) => Source::Literal(Literal::Bool(*b)),
            Kind::Null | Kind::Array(_) | Kind::Object(_) => {
                self.type_error(what, &format!("a JSONPath or {literals}"), v);
                return None;
            }
        };
        Some(Spanned { value: source, span: v.span.clone() })
    }

    /// `customer_id` and `anon_id`: strings or integers.
    fn id(&mut self, v: &Value, what: &str) -> Option<Spanned<Source>> {
        let source = self.source(v, &format!("`{what}`"), "a string or integer")?;
        let text = match &source.value {
            Source::Path(_) => return Some(source),
            Source::Literal(Literal::String(s)) => s.as_str(),
            Source::Literal(Literal::Number(n)) if !n.contains(['.', 'e', 'E']) => n.as_str(),
            Source::Literal(_) => {
                self.type_error(&format!("`{what}`"), "a JSONPath, a string or an integer", v);
                return None;
            }
        };
        if what == "customer_id" && hookmap_data_api::is_refused_customer_id(text) {
            self.push(
                Diagnostic::error(format!("customer_id {text:?} is a placeholder MoEngage refuses"))
                    .at(v.span.clone())
                    .label("refused by the Data API")
                    .help("map the id from the payload with a JSONPath, such as \"$.email\""),
            );
            return None;
        }
        Some(source)
    }

    fn event_name(&mut self, v: &Value) -> Option<Spanned<Source>> {
        let source = self.source(v, "`event_name`", "a string")?;
        match &source.value {
            Source::Path(_) => Some(source),
            Source::Literal(Literal::String(name)) => {
                let ok = self.name_rules(name, &v.span, "event name");
                ok.then_some(source)
            }
            Source::Literal(_) => {
                self.type_error("`event_name`", "a JSONPath or a string", v);
                None
            }
        }
    }

    /// Data API rules for event and attribute names. Returns whether `name` passes.
    fn name_rules(&mut self, name: &str, span: &Span, what: &str) -> bool {
        let error = match hookmap_data_api::name_problem(name) {
            None => return true,
            Some(NameProblem::Empty) => Diagnostic::error(format!("empty {what}")).label("expected a name"),
            Some(NameProblem::Reserved) => {
                Diagnostic::error(format!("{what} `{name}` starts with `{RESERVED_PREFIX}`"))
                    .label(format!("`{RESERVED_PREFIX}` is reserved for MoEngage's own names"))
                    .help("rename it without the prefix")
            }
            Some(NameProblem::TooLong(chars)) => {
                Diagnostic::error(format!("{what} is {chars} characters long"))
                    .label(format!("MoEngage allows at most {MAX_NAME_CHARS} characters"))
            }
        };
        self.push(error.at(span.clone()));
        false
    }

    fn app_version(&mut self, v: &Value) -> Option<Spanned<Source>> {
        let source = self.source(v, "`app_version`", "a string")?;
        match source.value {
            Source::Path(_) | Source::Literal(Literal::String(_)) => Some(source),
            Source::Literal(_) => {
                self.type_error("`app_version`", "a JSONPath or a string", v);
                None
            }
        }
    }

    fn platform(&mut self, v: &Value) -> Option<Spanned<Platform>> {
        let s = self.string(v, "`platform`")?;
        let value = match s.text.as_str() {
            "web" => Platform::Web,
            "android" => Platform::Android,
            "ios" => Platform::Ios,
            "api" => Platform::Api,
            other => {
                let d = if other.starts_with('$') {
                    Diagnostic::error(format!(
                        "platform must be a literal string, found the JSONPath {other:?}"
                    ))
                    .help("the platform is fixed per mapper")
                } else {
                    let d = Diagnostic::error(format!("unknown platform {other:?}"));
                    match did_you_mean(other, PLATFORMS.iter().copied()) {
                        Some(s) => d.help(format!("did you mean {s:?}?")),
                        None => d,
                    }
                };
                self.push(d.at(v.span.clone()).label(format!("expected one of {}", list(PLATFORMS, "\""))));
                return None;
            }
        };
        Some(Spanned { value, span: v.span.clone() })
    }

    fn user_time(&mut self, v: &Value) -> Option<Spanned<TimeDraft>> {
        let value = match &v.kind {
            Kind::String(s) if s.text == "#MERGE" => TimeDraft::Merge,
            Kind::String(s) if s.text.starts_with('$') => TimeDraft::Path(self.path(s, &v.span)?),
            _ => {
                let found = match &v.kind {
                    Kind::String(s) => format!("the literal {:?}", s.text),
                    _ => v.describe().to_owned(),
                };
                let mut d =
                    Diagnostic::error(format!("user_time must be a JSONPath or \"#MERGE\", found {found}"))
                        .at(v.span.clone())
                        .label("expected a JSONPath or \"#MERGE\"");
                match &v.kind {
                    Kind::String(s) if did_you_mean(&s.text, ["#MERGE"]).is_some() => {
                        d = d.help("did you mean \"#MERGE\"?");
                    }
                    _ => {
                        d = d.help(
                            "a fixed time would stamp every record alike; map it from the payload, \
                             such as \"$.timestamp\"",
                        );
                    }
                }
                self.push(d);
                return None;
            }
        };
        Some(Spanned { value, span: v.span.clone() })
    }

    fn attributes(&mut self, m: &Member) -> Attributes {
        let name = &m.key.text;
        let mut out = Attributes { span: Some(m.value.span.clone()), ..Attributes::default() };
        let Kind::Object(members) = &m.value.kind else {
            self.type_error(&format!("`{name}`"), "an object", &m.value);
            return out;
        };
        for member in members {
            let v = &member.value;
            if member.key.text == "create_all" {
                match &v.kind {
                    Kind::String(s) => out.create_all = self.path_only(s, &v.span, "`create_all`"),
                    _ => self.type_error("`create_all`", "a JSONPath", v),
                }
                continue;
            }
            let key = &member.key.text;
            let key_ok = self.name_rules(key, &member.key_span, "attribute name");
            let what = format!("attribute `{key}`");
            let Some(source) = self.source(v, &what, "a string, number or boolean") else { continue };
            if let Source::Literal(Literal::String(s)) = &source.value
                && let Some(chars) = hookmap_data_api::value_too_long(s)
            {
                self.push(
                    Diagnostic::error(format!("value of {what} is {chars} characters long"))
                        .at(v.span.clone())
                        .label(format!("MoEngage keeps at most {MAX_VALUE_CHARS} characters")),
                );
                continue;
            }
            if key_ok {
                out.entries.push(Attribute {
                    key: Spanned { value: key.clone(), span: member.key_span.clone() },
                    source,
                });
            }
        }
        out
    }

    fn formats(&mut self, v: &Value, mappings: &mut Mappings) {
        let Kind::Object(members) = &v.kind else {
            self.type_error("`formats`", "an object", v);
            return;
        };
        for m in members {
            if self.known_key(m, &["user_time"], "`formats`").is_err() {
                continue;
            }
            mappings.formats_present = true;
            let v = &m.value;
            let items: Vec<&Value> = match &v.kind {
                Kind::String(_) => vec![v],
                Kind::Array(items) if !items.is_empty() => items.iter().collect(),
                Kind::Array(_) => {
                    self.push(
                        Diagnostic::error("`formats.user_time` is an empty list")
                            .at(v.span.clone())
                            .label("expected at least one pattern"),
                    );
                    continue;
                }
                _ => {
                    self.type_error("`formats.user_time`", "a string or a list of strings", v);
                    continue;
                }
            };
            let mut formats = Vec::new();
            let mut ok = true;
            for item in items {
                let Some(s) = self.string(item, "a `formats.user_time` entry") else {
                    ok = false;
                    continue;
                };
                match date::parse_format(&s.text) {
                    Ok(format) => formats.push(Spanned { value: format, span: item.span.clone() }),
                    Err(e) => {
                        ok = false;
                        let inner = clamp(&s.text, e.span);
                        let mut d = Diagnostic::error(format!(
                            "invalid date pattern \"{}\"",
                            self.as_written(&item.span)
                        ))
                        .at(model::string_span(item.span.start, &s.escapes, inner))
                        .label(e.message);
                        // The pattern's own advice (`Y` → `yyyy`, the supported letters).
                        if let Some(help) = e.help {
                            d = d.help(help);
                        }
                        self.push(d);
                    }
                }
            }
            if ok {
                mappings.formats = Some((v.span.clone(), formats));
            }
        }
    }

    fn timezone(&mut self, v: &Value) -> Option<Spanned<String>> {
        let s = self.string(v, "`timezone`")?;
        if date::is_timezone(&s.text) {
            return Some(Spanned { value: s.text.clone(), span: v.span.clone() });
        }
        let mut d = Diagnostic::error(format!("unknown time zone {:?}", s.text))
            .at(v.span.clone())
            .label("not an IANA time zone name");
        let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        d = match did_you_mean(&s.text, names) {
            Some(name) => d.help(format!("did you mean {name:?}?")),
            None => d.help("use an IANA name such as \"Europe/Paris\", \"Asia/Kolkata\" or \"UTC\""),
        };
        self.push(d);
        None
    }

    /// `"#MERGE": {"user_time": {"date": "$...", "time": "$..."}}`.
    fn merge(&mut self, m: &Member) -> Option<(Path, Path)> {
        let Kind::Object(members) = &m.value.kind else {
            self.type_error("`#MERGE`", "an object", &m.value);
            return None;
        };
        let mut result = None;
        let mut seen = false;
        for inner in members {
            if self.known_key(inner, &["user_time"], "`#MERGE`").is_err() {
                continue;
            }
            seen = true;
            let Kind::Object(parts) = &inner.value.kind else {
                self.type_error("`#MERGE.user_time`", "an object", &inner.value);
                continue;
            };
            let (mut date, mut time, mut date_seen, mut time_seen) = (None, None, false, false);
            for part in parts {
                let Ok(key) = self.known_key(part, &["date", "time"], "`#MERGE.user_time`") else {
                    continue;
                };
                let what = format!("`#MERGE.user_time.{key}`");
                let path = match &part.value.kind {
                    Kind::String(s) => self.path_only(s, &part.value.span, &what),
                    _ => {
                        self.type_error(&what, "a JSONPath", &part.value);
                        None
                    }
                };
                if key == "date" {
                    (date, date_seen) = (path, true);
                } else {
                    (time, time_seen) = (path, true);
                }
            }
            let missing: Vec<&str> = [("date", date_seen), ("time", time_seen)]
                .iter()
                .filter(|(_, s)| !s)
                .map(|(k, _)| *k)
                .collect();
            if !missing.is_empty() {
                self.push(
                    Diagnostic::error(format!("`#MERGE.user_time` has no {}", list(&missing, "`")))
                        .at(inner.key_span.clone())
                        .label("needs both `date` and `time`")
                        .help("such as {\"date\": \"$.date\", \"time\": \"$.time\"}"),
                );
            }
            result = date.zip(time);
        }
        if !seen {
            self.push(
                Diagnostic::error("`#MERGE` has no `user_time`")
                    .at(m.key_span.clone())
                    .label("expected `{\"user_time\": {\"date\": ..., \"time\": ...}}`"),
            );
        }
        result
    }

    fn mappings(&mut self, m: &Member) -> Option<Mappings> {
        let Kind::Object(members) = &m.value.kind else {
            self.type_error("`mappings`", "an object", &m.value);
            return None;
        };
        let mut out = Mappings { key: m.key_span.clone(), ..Mappings::default() };
        for member in members {
            let key = match self.known_key(member, MAPPING_KEYS, "`mappings`") {
                Ok(key) => key,
                Err(suggested) => {
                    out.suggested.extend(suggested);
                    continue;
                }
            };
            out.keys.push((key, member.key_span.clone()));
            let v = &member.value;
            match key {
                "customer_id" => out.customer_id = self.id(v, "customer_id"),
                "anon_id" => out.anon_id = self.id(v, "anon_id"),
                "event_name" => out.event_name = self.event_name(v),
                "user_time" => out.user_time = self.user_time(v),
                "platform" => out.platform = self.platform(v),
                "app_version" => out.app_version = self.app_version(v),
                "attr" => out.attr = self.attributes(member),
                "user_attributes" => out.user_attributes = self.attributes(member),
                "formats" => self.formats(v, &mut out),
                "timezone" => out.timezone = self.timezone(v),
                "#MERGE" => out.merge = Some((member.key_span.clone(), self.merge(member))),
                "update_existing_only" => out.update_existing_only = self.bool(v, "update_existing_only"),
                _ => unreachable!("BUG: key `{key}` is in MAPPING_KEYS but not handled"),
            }
        }
        Some(out)
    }

    fn validations(&mut self, v: &Value) -> Vec<Validation> {
        let Kind::Object(members) = &v.kind else {
            self.type_error("`payload_validations`", "an object", v);
            return Vec::new();
        };
        let mut out = Vec::new();
        for m in members {
            let path = self.path_only(&m.key, &m.key_span, "a `payload_validations` key");
            let ty = self.json_type(&m.value);
            if let (Some(path), Some(ty)) = (path, ty) {
                out.push(Validation { path, ty });
            }
        }
        out
    }

    fn json_type(&mut self, v: &Value) -> Option<Spanned<JsonType>> {
        let s = self.string(v, "a `payload_validations` type")?;
        let ty = match s.text.as_str() {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            other => {
                let mut d = Diagnostic::error(format!("unknown validation type {other:?}"))
                    .at(v.span.clone())
                    .label(format!("expected one of {}", list(JSON_TYPES, "\"")));
                if let Some(s) = did_you_mean(other, JSON_TYPES.iter().copied()) {
                    d = d.help(format!("did you mean {s:?}?"));
                }
                self.push(d);
                return None;
            }
        };
        Some(Spanned { value: ty, span: v.span.clone() })
    }
}

/// `"a", "b", "c"` with the given quote.
fn list(items: &[&str], quote: &str) -> String {
    items.iter().map(|i| format!("{quote}{i}{quote}")).collect::<Vec<_>>().join(", ")
}

/// A suggestion for a name that is not a lowercase identifier: `Lead Form` → `lead_form`.
fn to_identifier(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || (!out.is_empty() && (c.is_ascii_digit() || c == '-')) {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// A range reported by another parser, kept inside `text` and on character boundaries, so a
/// wrong offset from it can never make diagnostics panic.
fn clamp(text: &str, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(range.start);
    start..floor(range.end).max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_suggested_from_names() {
        assert_eq!(to_identifier("Lead Form"), "lead_form");
        assert_eq!(to_identifier("  My CRM-2 "), "my_crm-2");
        assert_eq!(to_identifier("42"), "");
    }

    #[test]
    fn schema_key_is_accepted_and_ignored_at_the_top_only() {
        use crate::source::Source;
        let mapper = |top: &str, mappings: &str| {
            format!(
                r#"{{{top}"partner_name": "t", "mapping_type": "users",
                    "mappings": {{{mappings}"customer_id": "$.id"}}}}"#
            )
        };
        let parse = |text: &str| super::super::parse(&Source::inline("t.json", text));

        let m = parse(&mapper(r#""$schema": "../schema/mapper.schema.json", "#, "")).expect("accepted");
        assert_eq!(m.partner_name.value, "t");
        assert_eq!(m.config_name, None);
        assert_eq!(m.mapping_type.value, MappingType::Users);

        let errors = parse(&mapper(r#""$schema": 1, "#, "")).expect_err("a number");
        assert!(errors.iter().any(|d| d.message.contains("`$schema` must be a string")), "{errors:?}");
        let errors = parse(&mapper("", r#""$schema": "x", "#)).expect_err("inside mappings");
        assert!(errors.iter().any(|d| d.message.contains("unknown key `$schema`")), "{errors:?}");
    }

    #[test]
    fn clamp_keeps_ranges_inside_the_text() {
        assert_eq!(clamp("héllo", 0..2), 0..1);
        assert_eq!(clamp("abc", 5..9), 3..3);
        let (start, end) = (2, 1);
        assert_eq!(clamp("abc", start..end), 2..2);
    }
}
