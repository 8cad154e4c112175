//! The lexical checks the grammar leaves out on purpose: escapes and control characters in
//! quoted strings, and the shape and range of integers and numbers.
//!
//! The grammar accepts these loosely so that a mistake is reported at the exact character, with
//! a message about that character, rather than as a failed alternative at the token's start.

use super::PathError;
use super::ast::Span;

/// Which quote delimits a string: the other one needs no escape and may not be escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Quote {
    /// `"..."`
    Double,
    /// `'...'`
    Single,
}

impl Quote {
    fn char(self) -> char {
        match self {
            Quote::Double => '"',
            Quote::Single => '\'',
        }
    }

    fn name(self) -> &'static str {
        match self {
            Quote::Double => "double-quoted",
            Quote::Single => "single-quoted",
        }
    }
}

/// The largest magnitude of an index or slice bound: I-JSON's exact integer range (RFC 9535
/// section 2.1).
pub(super) const MAX_INT: i64 = (1 << 53) - 1;

/// Decodes the body of a quoted string (between the quotes); `start` is the body's byte offset
/// in the query, for spans.
pub(super) fn unescape(body: &str, start: usize, quote: Quote) -> Result<String, PathError> {
    let mut out = String::with_capacity(body.len());
    let mut rest = body.char_indices();
    while let Some((at, c)) = rest.next() {
        let here = start + at;
        if c != '\\' {
            if u32::from(c) < 0x20 {
                return Err(PathError::new(
                    here..here + 1,
                    format!(
                        "control character U+{:04X} must be escaped in a string: write {}",
                        u32::from(c),
                        escaped(c)
                    ),
                ));
            }
            out.push(c);
            continue;
        }
        let Some((_, escape)) = rest.next() else {
            return Err(PathError::new(here..here + 1, "incomplete escape at the end of the string"));
        };
        let span = here..here + 1 + escape.len_utf8();
        let decoded = match escape {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '/' => '/',
            '\\' => '\\',
            'u' => {
                let (decoded, end) = unicode_escape(body, start, at)?;
                // Skip what `unicode_escape` consumed after the `\u` already read.
                while rest.clone().next().is_some_and(|(next, _)| next < end) {
                    rest.next();
                }
                decoded
            }
            c if c == quote.char() => c,
            c @ ('"' | '\'') => {
                return Err(PathError::new(
                    span,
                    format!("\\{c} is not an escape in a {} string; write {c} unescaped", quote.name()),
                ));
            }
            other => {
                let written = if other.is_control() {
                    format!("a backslash before U+{:04X}", u32::from(other))
                } else {
                    format!("\\{other}")
                };
                return Err(PathError::new(
                    span,
                    format!(
                        "{written} is not a valid escape; the escapes are \\b \\f \\n \\r \\t \\/ \\\\ \\{} \
                         and \\uXXXX",
                        quote.char()
                    ),
                ));
            }
        };
        out.push(decoded);
    }
    Ok(out)
}

/// How to write control character `c` in a string.
fn escaped(c: char) -> String {
    match c {
        '\u{8}' => "\\b".to_owned(),
        '\t' => "\\t".to_owned(),
        '\n' => "\\n".to_owned(),
        '\u{c}' => "\\f".to_owned(),
        '\r' => "\\r".to_owned(),
        _ => format!("\\u{:04x}", u32::from(c)),
    }
}

/// Decodes `\uXXXX`, or a surrogate pair `\uD83D\uDE00`, starting at the backslash at byte `at`
/// of `body`. Returns the character and the byte offset in `body` just after the escape.
fn unicode_escape(body: &str, start: usize, at: usize) -> Result<(char, usize), PathError> {
    let high = hex4(body, start, at)?;
    let after_high = at + 6;
    match high {
        0xD800..=0xDBFF => {
            let low = if body.get(after_high..after_high + 2) == Some("\\u") {
                Some(hex4(body, start, after_high)?)
            } else {
                None
            };
            match low {
                Some(low @ 0xDC00..=0xDFFF) => {
                    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                    let c = char::from_u32(code).expect("BUG: a surrogate pair decodes to a scalar value");
                    Ok((c, after_high + 6))
                }
                _ => Err(PathError::new(
                    start + at..start + after_high,
                    format!(
                        "\\u{} is a lone high surrogate; it must be followed by a low surrogate \
                         \\uDC00-\\uDFFF",
                        &body[at + 2..after_high]
                    ),
                )),
            }
        }
        0xDC00..=0xDFFF => Err(PathError::new(
            start + at..start + after_high,
            format!(
                "\\u{} is a lone low surrogate; it must follow a high surrogate \\uD800-\\uDBFF",
                &body[at + 2..after_high]
            ),
        )),
        code => {
            let c = char::from_u32(code).expect("BUG: a non-surrogate below 0x10000 is a scalar value");
            Ok((c, after_high))
        }
    }
}

/// The four hex digits after the `\u` whose backslash is at byte `at` of `body`.
fn hex4(body: &str, start: usize, at: usize) -> Result<u32, PathError> {
    let digits = body.get(at + 2..at + 6).filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
    match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
        Some(code) => Ok(code),
        None => {
            let end = body[at + 2..]
                .char_indices()
                .take(4)
                .take_while(|(_, c)| c.is_ascii_hexdigit())
                .last()
                .map_or(at + 2, |(i, c)| at + 2 + i + c.len_utf8());
            Err(PathError::new(start + at..start + end, "\\u must be followed by exactly four hex digits"))
        }
    }
}

/// Checks an index or slice bound and returns its value. `what` names it in messages ("index",
/// "slice start", ...).
pub(super) fn int(text: &str, span: Span, what: &str) -> Result<i64, PathError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if text == "-0" {
        return Err(PathError::new(span, format!("{what} -0 is not allowed; write 0")));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(PathError::new(span, format!("{what} {text} has a leading zero, which is not allowed")));
    }
    match text.parse::<i64>() {
        Ok(value) if (-MAX_INT..=MAX_INT).contains(&value) => Ok(value),
        _ => Err(PathError::new(
            span,
            format!("{what} is out of range; it must be between -{MAX_INT} and {MAX_INT}"),
        )),
    }
}

/// Checks the integer part of a number literal, where `-0` is fine but leading zeros are not.
pub(super) fn number_int(text: &str, span: Span) -> Result<(), PathError> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(PathError::new(span, format!("number {text} has a leading zero, which is not allowed")));
    }
    Ok(())
}
