//! `formats.user_time`: Java-style date patterns parsed at build time and compiled into
//! straight-line parsers.
//!
//! [`parse_format`] reads one entry of `formats.user_time` ([`pattern`] splits a pattern into
//! fields and checks it); [`generate_parser`] turns the entries of a field into one Rust
//! function (module `generate`). The generated code calls the primitives of `hookmap::date` and
//! interprets nothing at run time. The supported letters and the decisions taken where Java
//! is vague are in `docs/date-formats.md`.

use std::fmt;
use std::ops::Range;

use proc_macro2::{Ident, Span, TokenStream};

mod generate;
pub mod pattern;

pub use pattern::Item;

/// One entry of `formats.user_time`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeFormat {
    /// `epoch_seconds`: a JSON integer or a string of digits, in seconds.
    EpochSeconds,
    /// `epoch_millis`: a JSON integer or a string of digits, in milliseconds.
    EpochMillis,
    /// A date pattern such as `yyyy-MM-dd HH:mm:ss`.
    Pattern(Pattern),
}

/// A parsed date pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The pattern as written.
    pub text: String,
    /// Its fields and literals, in order.
    pub items: Vec<Item>,
}

impl Pattern {
    /// Whether the pattern reads a UTC offset (`Z` or `X`), so that the mapper's `timezone`
    /// does not apply to it.
    pub fn has_offset(&self) -> bool {
        self.items.iter().any(|item| matches!(item, Item::Offset(_)))
    }
}

/// Why a format is not valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// Byte range in the format text of the offending part.
    pub span: Range<usize>,
    /// What is wrong, in words.
    pub message: String,
    /// How to fix it, when there is something to say (for a diagnostic's `help:` line).
    pub help: Option<String>,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatternError {}

const EPOCH_SECONDS: &str = "epoch_seconds";
const EPOCH_MILLIS: &str = "epoch_millis";

/// Parses one entry of `formats.user_time`.
pub fn parse_format(text: &str) -> Result<TimeFormat, PatternError> {
    match text {
        EPOCH_SECONDS => return Ok(TimeFormat::EpochSeconds),
        EPOCH_MILLIS => return Ok(TimeFormat::EpochMillis),
        _ => {}
    }
    // `epoch_second` would otherwise be reported as the unknown pattern letter 'e'.
    if text.get(..5).is_some_and(|start| start.eq_ignore_ascii_case("epoch")) {
        let lower = text.to_ascii_lowercase();
        let closest = [EPOCH_SECONDS, EPOCH_MILLIS]
            .into_iter()
            .max_by(|a, b| strsim::jaro_winkler(&lower, a).total_cmp(&strsim::jaro_winkler(&lower, b)))
            .unwrap_or(EPOCH_SECONDS);
        return Err(PatternError {
            span: 0..text.len(),
            message: format!("unknown time format name '{text}'"),
            help: Some(format!(
                "did you mean '{closest}'? The names are '{EPOCH_SECONDS}' and '{EPOCH_MILLIS}'"
            )),
        });
    }
    let items = pattern::parse(text)?;
    Ok(TimeFormat::Pattern(Pattern {
        text: text.to_owned(),
        items: items.into_iter().map(|(item, _)| item).collect(),
    }))
}

/// Whether `name` is an IANA time zone name.
pub fn is_timezone(name: &str) -> bool {
    name.parse::<chrono_tz::Tz>().is_ok()
}

/// The name of the `chrono_tz::Tz` variant for the IANA zone `name` (`Asia__Kolkata` for
/// `Asia/Kolkata`), or `None` when `name` is not a zone.
///
/// chrono-tz builds the names from the zone names: `/` becomes `__`, `+` becomes `Plus`, `-`
/// becomes `Minus` before a digit and is dropped elsewhere (`Etc/GMT-5` is `Etc__GMTMinus5`,
/// `America/Port-au-Prince` is `America__PortauPrince`).
pub fn timezone_variant(name: &str) -> Option<Ident> {
    if !is_timezone(name) {
        return None;
    }
    let mut variant = String::with_capacity(name.len() + 8);
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' => variant.push_str("__"),
            '+' => variant.push_str("Plus"),
            '-' if chars.peek().is_some_and(char::is_ascii_digit) => variant.push_str("Minus"),
            '-' => {}
            c => variant.push(c),
        }
    }
    Some(Ident::new(&variant, Span::call_site()))
}

/// Generates `fn #name(text: &str) -> Option<i64>` that reads `text` with each format in turn
/// and returns epoch milliseconds (UTC). Patterns without a zone are read in `timezone`
/// (an IANA name; UTC when `None`).
///
/// The first format that reads the whole text gives the result. `runtime` is the path of the
/// `hookmap` crate (`::hookmap`); the code reaches it through `#runtime::__private` only.
pub fn generate_parser(
    name: &Ident,
    formats: &[TimeFormat],
    timezone: Option<&str>,
    runtime: &TokenStream,
) -> TokenStream {
    generate::parser(name, formats, timezone, runtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_patterns() {
        assert_eq!(parse_format("epoch_seconds"), Ok(TimeFormat::EpochSeconds));
        assert_eq!(parse_format("epoch_millis"), Ok(TimeFormat::EpochMillis));
        let Ok(TimeFormat::Pattern(pattern)) = parse_format("yyyy-MM-dd'T'HH:mm:ssZ") else {
            panic!("not a pattern")
        };
        assert_eq!(pattern.text, "yyyy-MM-dd'T'HH:mm:ssZ");
        assert_eq!(pattern.items.len(), 12);
        assert!(pattern.has_offset());
        let Ok(TimeFormat::Pattern(pattern)) = parse_format("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'") else {
            panic!("not a pattern")
        };
        assert!(!pattern.has_offset(), "a quoted Z is a literal");
    }

    #[test]
    fn misspelled_names() {
        let e = parse_format("epoch_second").unwrap_err();
        assert_eq!(e.span, 0..12);
        assert_eq!(e.message, "unknown time format name 'epoch_second'");
        assert!(e.help.is_some_and(|h| h.starts_with("did you mean 'epoch_seconds'?")));
        let e = parse_format("EPOCH_MS").unwrap_err();
        assert!(e.help.is_some_and(|h| h.starts_with("did you mean 'epoch_millis'?")));
    }

    #[test]
    fn seed_error() {
        let e = parse_format("yyyy-MM-dd HH:mm:ss QQ").unwrap_err();
        assert_eq!(e.span, 20..22);
        assert_eq!(e.to_string(), "unknown pattern letter 'Q'");
    }

    #[test]
    fn timezones() {
        assert!(is_timezone("Asia/Kolkata"));
        assert!(is_timezone("UTC"));
        assert!(!is_timezone("Mars/Olympus_Mons"));
        assert!(!is_timezone("asia/kolkata"));
        let variant = |name| timezone_variant(name).map(|v| v.to_string());
        assert_eq!(variant("Asia/Kolkata").as_deref(), Some("Asia__Kolkata"));
        assert_eq!(
            variant("America/Argentina/Buenos_Aires").as_deref(),
            Some("America__Argentina__Buenos_Aires")
        );
        assert_eq!(variant("Etc/GMT-5").as_deref(), Some("Etc__GMTMinus5"));
        assert_eq!(variant("Etc/GMT+10").as_deref(), Some("Etc__GMTPlus10"));
        assert_eq!(variant("America/Port-au-Prince").as_deref(), Some("America__PortauPrince"));
        assert_eq!(variant("UTC").as_deref(), Some("UTC"));
        assert_eq!(variant("Mars/Olympus_Mons"), None);
    }
}
