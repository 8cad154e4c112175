//! I-Regexp (RFC 9485), the regular expressions of JSONPath's `match()` and `search()`:
//! checking a pattern and translating it into the syntax of the `regex` crate.
//!
//! The compiler checks and translates literal patterns at build time (so a mapper with a bad
//! pattern does not build, and the generated code holds the translated text); the runtime uses
//! the same translation for patterns that come from the payload. One crate keeps the two from
//! ever disagreeing.
//!
//! I-Regexp is a small subset of XML Schema regular expressions. The translation is exact:
//!
//! - `.` matches any character except `\n` and `\r`: `[^\n\r]`.
//! - Character classes, `\p{..}` / `\P{..}` (general categories only, no blocks), the single
//!   character escapes, groups (non-capturing) and the quantifiers `? * + {n} {n,} {n,m}` map to
//!   the same constructs, with every character the `regex` crate treats as special escaped.
//! - `match()` matches the whole string: the translation is anchored with `\A(?:…)\z`.
//!
//! One deviation, on purpose: RFC 9485 makes `^` and `$` ordinary characters, but the JSONPath
//! Compliance Test Suite (and every widely used implementation) treats them as anchors at the
//! start and end of the string. hookmap follows the suite, so `match(@, '^ab.*')` matches
//! `"abc"`. Inside a character class they stay ordinary.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;

/// How the pattern is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `match()`: the whole string must match.
    Match,
    /// `search()`: some substring must match.
    Search,
}

/// Why a pattern is not I-Regexp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// Byte offset in the pattern where the problem is.
    pub offset: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for Error {}

/// How deep groups may nest. RFC 9485 sets no limit; translation recurses once per group, and
/// patterns may come from payloads, so the depth is bounded (the `regex` crate's own limit is
/// higher).
pub const MAX_GROUP_DEPTH: usize = 64;

/// Checks `pattern` and translates it into `regex` crate syntax for `mode`.
pub fn translate(pattern: &str, mode: Mode) -> Result<String, Error> {
    let mut parser = Parser { text: pattern, at: 0, out: String::with_capacity(pattern.len() + 16) };
    if mode == Mode::Match {
        parser.out.push_str(r"\A(?:");
    }
    parser.regexp(0)?;
    if let Some(c) = parser.peek() {
        // Only a `)` without its `(` stops the top level early.
        return Err(parser.error(format!("unexpected `{c}`: no group to close")));
    }
    if mode == Mode::Match {
        parser.out.push_str(r")\z");
    }
    Ok(parser.out)
}

struct Parser<'t> {
    text: &'t str,
    at: usize,
    out: String,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error { offset: self.at, message: message.into() }
    }

    /// `i-regexp = branch *( "|" branch )`; stops before a `)` or at the end.
    fn regexp(&mut self, depth: usize) -> Result<(), Error> {
        loop {
            self.branch(depth)?;
            if self.eat('|') {
                self.out.push('|');
            } else {
                return Ok(());
            }
        }
    }

    /// `branch = *piece`, `piece = atom [ quantifier ]`.
    fn branch(&mut self, depth: usize) -> Result<(), Error> {
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                return Ok(());
            }
            let quantifiable = self.atom(depth)?;
            if let Some(q) = self.peek()
                && matches!(q, '?' | '*' | '+' | '{')
            {
                if !quantifiable {
                    return Err(self.error(format!("`{q}` cannot follow an anchor")));
                }
                self.quantifier()?;
            }
        }
        Ok(())
    }

    /// One atom; false for the anchors `^` and `$`, which take no quantifier.
    fn atom(&mut self, depth: usize) -> Result<bool, Error> {
        let start = self.at;
        let Some(c) = self.bump() else { return Err(self.error("unexpected end of pattern")) };
        match c {
            '(' => {
                if depth + 1 > MAX_GROUP_DEPTH {
                    return Err(Error {
                        offset: start,
                        message: format!("groups nest deeper than {MAX_GROUP_DEPTH}"),
                    });
                }
                self.out.push_str("(?:");
                self.regexp(depth + 1)?;
                if !self.eat(')') {
                    return Err(Error { offset: start, message: "unclosed group `(`".into() });
                }
                self.out.push(')');
            }
            '^' | '$' => {
                self.out.push(c);
                return Ok(false);
            }
            '.' => self.out.push_str(r"[^\n\r]"),
            '[' => self.class(start)?,
            '\\' => {
                self.escape(false)?;
            }
            '?' | '*' | '+' | '{' => {
                return Err(Error { offset: start, message: format!("`{c}` has nothing to repeat") });
            }
            ']' | '}' => {
                return Err(Error { offset: start, message: format!("`{c}` must be escaped as `\\{c}`") });
            }
            c => push_literal(&mut self.out, c),
        }
        Ok(true)
    }

    /// `quantifier = "*" / "+" / "?" / "{" n [ "," [ m ] ] "}"`.
    fn quantifier(&mut self) -> Result<(), Error> {
        let start = self.at;
        match self.bump() {
            Some(c @ ('?' | '*' | '+')) => self.out.push(c),
            Some('{') => {
                let min = self.number()?;
                let translated = if !self.eat(',') {
                    format!("{{{min}}}")
                } else if self.peek() == Some('}') {
                    format!("{{{min},}}")
                } else {
                    let max = self.number()?;
                    if max < min {
                        return Err(Error {
                            offset: start,
                            message: format!("quantifier `{{{min},{max}}}` has its bounds reversed"),
                        });
                    }
                    format!("{{{min},{max}}}")
                };
                if !self.eat('}') {
                    return Err(self.error("expected `}` to close the quantifier"));
                }
                self.out.push_str(&translated);
            }
            _ => return Err(Error { offset: start, message: "expected a quantifier".into() }),
        }
        if let Some(c @ ('?' | '*' | '+' | '{')) = self.peek() {
            return Err(self.error(format!("`{c}` cannot follow a quantifier")));
        }
        Ok(())
    }

    fn number(&mut self) -> Result<u32, Error> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        if start == self.at {
            return Err(self.error("expected a number in the quantifier"));
        }
        self.text[start..self.at]
            .parse()
            .map_err(|_| Error { offset: start, message: "quantifier bound is too large".into() })
    }

    /// After `\`: a single character escape or `\p{..}` / `\P{..}`. In a class, only single
    /// character escapes stand for a character that a range may use, which `escape` reports by
    /// returning it.
    fn escape(&mut self, in_class: bool) -> Result<Option<char>, Error> {
        let start = self.at - 1;
        let Some(c) = self.bump() else {
            return Err(Error { offset: start, message: "`\\` at the end of the pattern".into() });
        };
        let literal = match c {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '(' | ')' | '*' | '+' | '-' | '.' | '?' | '[' | '\\' | ']' | '^' | '{' | '|' | '}' => c,
            'p' | 'P' => {
                let category = self.category(start)?;
                self.out.push('\\');
                self.out.push(c);
                self.out.push('{');
                self.out.push_str(category);
                self.out.push('}');
                return Ok(None);
            }
            other => {
                return Err(Error {
                    offset: start,
                    message: format!("`\\{other}` is not an I-Regexp escape"),
                });
            }
        };
        if !in_class {
            push_literal(&mut self.out, literal);
        }
        Ok(Some(literal))
    }

    /// `{Cat}` after `\p` or `\P`: a general category (blocks are not I-Regexp).
    fn category(&mut self, start: usize) -> Result<&'static str, Error> {
        // RFC 9485's list: no `Cs` (surrogates, which no Rust string holds anyway).
        const CATEGORIES: [&str; 36] = [
            "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd",
            "Pe", "Pf", "Pi", "Po", "Ps", "Z", "Zl", "Zp", "Zs", "S", "Sc", "Sk", "Sm", "So", "C", "Cc",
            "Cf", "Cn", "Co",
        ];
        if !self.eat('{') {
            return Err(Error { offset: start, message: "expected `{` after `\\p`".into() });
        }
        let name_start = self.at;
        let Some(len) = self.text[self.at..].find('}') else {
            return Err(Error { offset: start, message: "unclosed `\\p{`".into() });
        };
        let name = &self.text[name_start..name_start + len];
        self.at = name_start + len + 1;
        match CATEGORIES.iter().find(|c| **c == name) {
            Some(category) => Ok(category),
            None => Err(Error {
                offset: name_start,
                message: format!("`{name}` is not a Unicode general category I-Regexp knows"),
            }),
        }
    }

    /// `charClassExpr = "[" [ "^" ] ( "-" / CCE1 ) *CCE1 [ "-" ] "]"`, after the `[`.
    fn class(&mut self, start: usize) -> Result<(), Error> {
        self.out.push('[');
        if self.eat('^') {
            self.out.push('^');
        }
        let mut first = true;
        loop {
            let item_start = self.at;
            let Some(c) = self.bump() else {
                return Err(Error { offset: start, message: "unclosed character class `[`".into() });
            };
            match c {
                ']' if !first => break,
                ']' => return Err(Error { offset: start, message: "empty character class".into() }),
                // `-` stands for itself only first or last.
                '-' if first || self.peek() == Some(']') => push_class_literal(&mut self.out, '-'),
                '-' => {
                    return Err(Error {
                        offset: item_start,
                        message: "`-` in a class must be first, last, or escaped".into(),
                    });
                }
                '[' => {
                    return Err(Error {
                        offset: item_start,
                        message: "`[` in a class must be escaped as `\\[`".into(),
                    });
                }
                '\\' => {
                    // `\p{..}` was written out by `escape`; a character may start a range.
                    if let Some(low) = self.escape(true)? {
                        self.range_from(low)?;
                    }
                }
                c => self.range_from(c)?,
            }
            first = false;
        }
        self.out.push(']');
        Ok(())
    }

    /// A class character, and the rest of a range when `-` and a second character follow.
    fn range_from(&mut self, low: char) -> Result<(), Error> {
        push_class_literal(&mut self.out, low);
        let rest = &self.text[self.at..];
        // `a-]` is `a` and a literal `-`; `a-b` is a range.
        if !rest.starts_with('-') || rest[1..].starts_with(']') || rest.len() == 1 {
            return Ok(());
        }
        let dash = self.at;
        self.at += 1;
        let high = match self.bump() {
            Some('\\') => match self.escape(true)? {
                Some(c) => c,
                None => {
                    return Err(Error { offset: dash, message: "a range cannot end in `\\p{..}`".into() });
                }
            },
            Some(c @ ('[' | '-')) => {
                return Err(Error { offset: dash + 1, message: format!("`{c}` cannot end a range") });
            }
            Some(c) => c,
            None => return Err(self.error("unclosed character class `[`")),
        };
        if high < low {
            return Err(Error { offset: dash, message: format!("range `{low}-{high}` is reversed") });
        }
        self.out.push('-');
        push_class_literal(&mut self.out, high);
        Ok(())
    }
}

/// The characters the `regex` crate gives a meaning (outside or inside classes).
fn is_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

fn push_literal(out: &mut String, c: char) {
    if is_meta(c) {
        out.push('\\');
    }
    out.push(c);
}

fn push_class_literal(out: &mut String, c: char) {
    push_literal(out, c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(pattern: &str) -> String {
        translate(pattern, Mode::Search).unwrap_or_else(|e| panic!("{pattern:?}: {e}"))
    }

    fn err(pattern: &str) -> Error {
        translate(pattern, Mode::Search).expect_err(pattern)
    }

    #[test]
    fn translates_each_construct() {
        assert_eq!(ok("a.b"), r"a[^\n\r]b");
        assert_eq!(translate("a.*", Mode::Match).unwrap(), r"\A(?:a[^\n\r]*)\z");
        assert_eq!(ok("(ab|c)+d{2}e{1,}f{0,3}"), r"(?:ab|c)+d{2}e{1,}f{0,3}");
        assert_eq!(ok(r"\p{Lu}\P{Nd}"), r"\p{Lu}\P{Nd}");
        assert_eq!(ok(r"a\.c\\\[\n"), "a\\.c\\\\\\[\n");
        assert_eq!(ok("[.b]"), r"[\.b]");
        assert_eq!(ok(r"[\].]"), r"[\]\.]");
        assert_eq!(ok("[^a-z-]"), r"[^a-z\-]");
        assert_eq!(ok("[-a]"), r"[\-a]");
        assert_eq!(ok(r"[\p{L}0-9]"), r"[\p{L}0-9]");
        assert_eq!(ok("#&~"), r"\#\&\~");
        assert_eq!(ok("^ab$"), "^ab$");
        assert_eq!(ok("[$^]"), r"[\$\^]");
        assert_eq!(ok(""), "");
        assert_eq!(ok("a|"), "a|");
        assert_eq!(ok("é€𐄁"), "é€𐄁");
    }

    #[test]
    fn rejects_what_is_not_i_regexp() {
        for pattern in [
            "(",
            ")",
            "a)",
            "[",
            "[]",
            "[^]",
            "*a",
            "a**",
            "a*?",
            "a{2",
            "a{,2}",
            "a{3,2}",
            r"\d",
            r"\w",
            r"\p{IsBasicLatin}",
            r"\p{Cs}",
            r"\p{L",
            "a\\",
            "[a-]b-]",
            "[z-a]",
            "[a-\\p{L}]",
            "]",
            "}",
            "{1}",
            "^*",
            "a{99999999999}",
        ] {
            let e = err(pattern);
            assert!(e.offset <= pattern.len(), "{pattern:?}: offset {}", e.offset);
        }
    }

    #[test]
    fn deep_groups_are_refused_not_overflowed() {
        let deep = "(".repeat(100_000);
        assert!(err(&deep).message.contains("nest"));
        let ok_depth = format!("{}a{}", "(".repeat(MAX_GROUP_DEPTH), ")".repeat(MAX_GROUP_DEPTH));
        assert!(translate(&ok_depth, Mode::Match).is_ok());
    }
}
