//! JSONPath (RFC 9535): a pest grammar, the typed tree it parses into, and the
//! well-typedness rules of function extensions.
//!
//! [`parse`] runs in stages, one module each: a nesting limit (`nesting`), the pest grammar
//! (`grammar.pest`, its failures worded by `syntax_error`), the conversion of pest's pairs into
//! the [`ast`] (`parse`, with the lexical checks of `literal`), and, for each filter, the typing
//! of the untyped expression tree (`raw`) by `typecheck`.

pub mod ast;
mod grammar;
mod literal;
mod nesting;
mod parse;
mod raw;
mod syntax_error;
mod typecheck;

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;

/// Why a query is not valid RFC 9535 JSONPath.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    /// Byte range in the query text of the offending part.
    pub span: Range<usize>,
    /// What is wrong, in words.
    pub message: String,
}

impl PathError {
    pub(crate) fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        PathError { span, message: message.into() }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PathError {}

/// Parses and type-checks a query such as `$.orders[*].email`.
///
/// Accepts exactly the well-typed queries of RFC 9535 (the five function extensions of its
/// section 2.4 and no others), with one implementation limit: brackets and parentheses may nest
/// at most [`MAX_NESTING`] deep.
pub fn parse(text: &str) -> Result<ast::Query, PathError> {
    nesting::check(text)?;
    parse::query(text)
}

/// How deep brackets and parentheses may nest in a query.
///
/// The RFC sets no limit, but parsing recurses once per level, and unoptimized (as proc macros
/// and build scripts usually are) a level of nested filter takes about 20 KiB of stack. At this
/// depth the deepest query still parses in 1 MiB; real queries rarely nest past three.
pub const MAX_NESTING: usize = 32;
