//! Mapper file text to the typed [`crate::model::Mapper`]: JSON with byte spans, then the
//! mapper format's keys, types and rules. Reports every error of the file, not just the first.
//!
//! Three steps, one module each: `json` (text to spanned JSON), `config` (each key's value
//! and type) and `check` (rules across keys). Only a syntax error stops early.

mod check;
mod config;
pub(crate) mod json;
pub(crate) mod suggest;
#[cfg(test)]
mod tests;

use crate::diagnostics::Diagnostic;
use crate::model::Mapper;
use crate::source::Source;
pub(crate) use config::DEFAULT_APP_VERSION;

/// Parses and checks a mapper file. On failure returns every error found, in file order.
pub fn parse(source: &Source) -> Result<Mapper, Vec<Diagnostic>> {
    let (value, mut errors) = json::parse(&source.text);
    if let Some(value) = value
        && let Some(draft) = config::walk(&source.text, &value, &mut errors)
    {
        check::check(&draft, &mut errors);
        if errors.is_empty() {
            return draft.into_mapper().ok_or_else(|| {
                vec![Diagnostic::error(
                    "internal error: the mapper passed every check but is incomplete; please report this",
                )]
            });
        }
    }
    // Errors without a place go last; the sort is stable, so equal places keep their order.
    errors.sort_by_key(|d| d.span.as_ref().map_or(usize::MAX, |s| s.start));
    Err(errors)
}
