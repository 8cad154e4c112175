//! A small JSON parser (RFC 8259) that remembers where everything is.
//!
//! serde_json gives no spans for values, and the front end needs them for every key and value so
//! that each diagnostic can point at its token. Strings also keep an escape map, so an error at
//! a byte offset inside an unescaped JSONPath or date pattern can be mapped back into the file.
//!
//! Syntax errors stop the parse (there is no sensible tree after one); duplicate keys do not, so
//! they are reported together with the errors of the rest of the mapper.

use std::collections::HashMap;

use crate::diagnostics::Diagnostic;
use crate::model::Span;

/// Deeper nesting than this is refused. Mappers are a few levels deep; the limit only keeps
/// the recursive descent from exhausting the stack on hostile input.
pub(crate) const MAX_DEPTH: usize = 64;

/// A JSON value and the bytes of the file it was read from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Value {
    /// What the value is.
    pub kind: Kind,
    /// Its token (strings include their quotes; objects and arrays their brackets).
    pub span: Span,
}

/// The kinds of JSON values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    /// The number as written (already checked against the JSON grammar).
    Number(String),
    String(Str),
    Array(Vec<Value>),
    /// Members in file order; a duplicate key is reported and left out.
    Object(Vec<Member>),
}

/// A JSON string after unescaping.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Str {
    /// The unescaped text.
    pub text: String,
    /// After each escape sequence: `(offset in text, offset in file)`, ascending. Between two
    /// entries text and file advance together, which is what `model::Path::file_span` relies on.
    pub escapes: Vec<(usize, usize)>,
}

/// One `"key": value` of an object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Member {
    /// The key, unescaped.
    pub key: Str,
    /// The key's token, with its quotes.
    pub key_span: Span,
    /// The value.
    pub value: Value,
}

impl Value {
    /// "a string", "an object", ...: for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number(_) => "a number",
            Kind::String(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Object(_) => "an object",
        }
    }
}

/// Parses a whole document. Returns the value unless there was a syntax error, and every error
/// found (duplicate keys, then at most one syntax error).
pub(crate) fn parse(text: &str) -> (Option<Value>, Vec<Diagnostic>) {
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0, depth: 0, errors: Vec::new() };
    // A UTF-8 byte order mark is not JSON, but editors on some platforms add one silently.
    if text.starts_with('\u{feff}') {
        parser.pos = '\u{feff}'.len_utf8();
    }
    let result = parser.document();
    let mut errors = parser.errors;
    match result {
        Ok(value) => (Some(value), errors),
        Err(e) => {
            errors.push(*e);
            (None, errors)
        }
    }
}

/// A syntax error; boxed because `Diagnostic` is large and errors are the cold path.
type PResult<T> = Result<T, Box<Diagnostic>>;

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    /// Non-fatal errors (duplicate keys).
    errors: Vec<Diagnostic>,
}

impl Parser<'_> {
    fn document(&mut self) -> PResult<Value> {
        self.skip_ws()?;
        if self.pos >= self.bytes.len() {
            let at = self.text.trim_end().len();
            return Err(Box::new(
                Diagnostic::error("the mapper file is empty").at(at..at).label("expected a JSON object"),
            ));
        }
        let value = self.value()?;
        self.skip_ws()?;
        if self.pos < self.bytes.len() {
            let found = self.char_span(self.pos);
            return Err(Box::new(
                Diagnostic::error(format!(
                    "unexpected `{}` after the end of the JSON document",
                    &self.text[found.clone()]
                ))
                .at(found)
                .label("the document already ended")
                .help("a mapper file holds exactly one JSON object"),
            ));
        }
        Ok(value)
    }

    fn skip_ws(&mut self) -> PResult<()> {
        while let Some(&b) = self.bytes.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if matches!(self.bytes.get(self.pos + 1), Some(b'/' | b'*')) => {
                    return Err(Box::new(
                        Diagnostic::error("comments are not allowed in JSON")
                            .at(self.pos..self.pos + 2)
                            .label("comment starts here"),
                    ));
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn value(&mut self) -> PResult<Value> {
        let start = self.pos;
        match self.bytes.get(self.pos) {
            None => Err(self.unexpected_eof("a value")),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => {
                let s = self.string()?;
                Ok(Value { kind: Kind::String(s), span: start..self.pos })
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b) if b.is_ascii_alphabetic() => self.word(),
            Some(_) => Err(self.unexpected("a value")),
        }
    }

    /// Enters an object or array, refusing to go deeper than [`MAX_DEPTH`].
    fn nested(&mut self, parse: fn(&mut Self) -> PResult<Value>) -> PResult<Value> {
        if self.depth >= MAX_DEPTH {
            return Err(Box::new(
                Diagnostic::error(format!("JSON nested deeper than {MAX_DEPTH} levels"))
                    .at(self.pos..self.pos + 1)
                    .label("too deep"),
            ));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn object(&mut self) -> PResult<Value> {
        let start = self.pos;
        self.pos += 1; // `{`
        let mut members: Vec<Member> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        self.skip_ws()?;
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value { kind: Kind::Object(members), span: start..self.pos });
        }
        loop {
            // A key.
            match self.bytes.get(self.pos) {
                Some(b'"') => {}
                _ => return Err(self.expected_key()),
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = key_start..self.pos;
            self.skip_ws()?;
            match self.bytes.get(self.pos) {
                Some(b':') => self.pos += 1,
                None => return Err(self.unexpected_eof("`:` after the key")),
                Some(_) => {
                    let found = self.char_span(self.pos);
                    return Err(Box::new(
                        Diagnostic::error(format!("expected `:` after the key {:?}", key.text))
                            .at(found)
                            .label("expected `:`"),
                    ));
                }
            }
            self.skip_ws()?;
            let value = self.value()?;
            if let Some(first) = seen.get(&key.text) {
                let line = line_of(self.text, first.start);
                self.errors.push(
                    Diagnostic::error(format!("duplicate key `{}`", key.text))
                        .at(key_span)
                        .label("this key is already set")
                        .note(format!("first set on line {line}")),
                );
            } else {
                seen.insert(key.text.clone(), key_span.clone());
                members.push(Member { key, key_span, value });
            }
            // `,` or `}`.
            self.skip_ws()?;
            match self.bytes.get(self.pos) {
                Some(b',') => {
                    let comma = self.pos;
                    self.pos += 1;
                    self.skip_ws()?;
                    if self.bytes.get(self.pos) == Some(&b'}') {
                        return Err(trailing_comma(comma, '}'));
                    }
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value { kind: Kind::Object(members), span: start..self.pos });
                }
                None => return Err(self.unexpected_eof("`,` or `}`")),
                Some(b'"') => {
                    return Err(Box::new(
                        self.unexpected_diag("`,` or `}` after the member")
                            .help("add a `,` between the members"),
                    ));
                }
                Some(_) => return Err(self.unexpected("`,` or `}` after the member")),
            }
        }
    }

    fn array(&mut self) -> PResult<Value> {
        let start = self.pos;
        self.pos += 1; // `[`
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value { kind: Kind::Array(items), span: start..self.pos });
        }
        loop {
            items.push(self.value()?);
            self.skip_ws()?;
            match self.bytes.get(self.pos) {
                Some(b',') => {
                    let comma = self.pos;
                    self.pos += 1;
                    self.skip_ws()?;
                    if self.bytes.get(self.pos) == Some(&b']') {
                        return Err(trailing_comma(comma, ']'));
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value { kind: Kind::Array(items), span: start..self.pos });
                }
                None => return Err(self.unexpected_eof("`,` or `]`")),
                Some(_) => return Err(self.unexpected("`,` or `]` after the element")),
            }
        }
    }

    /// A string token starting at the opening quote; leaves `pos` after the closing quote.
    fn string(&mut self) -> PResult<Str> {
        let open = self.pos;
        self.pos += 1;
        let mut out = Str::default();
        loop {
            // Copy the run of plain bytes at once; it ends at an ASCII byte, so on a char boundary.
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.text.push_str(&self.text[run_start..self.pos]);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.escape(&mut out)?;
                    out.escapes.push((out.text.len(), self.pos));
                }
                Some(b'\n' | b'\r') | None => {
                    return Err(Box::new(
                        Diagnostic::error("unterminated string")
                            .at(open..self.pos)
                            .label("this string has no closing `\"`"),
                    ));
                }
                Some(&b) => {
                    return Err(Box::new(
                        Diagnostic::error(format!("control character U+{b:04X} in a string"))
                            .at(self.pos..self.pos + 1)
                            .label("not allowed unescaped")
                            .help(if b == b'\t' {
                                "write a tab as `\\t`"
                            } else {
                                "write it as a `\\u` escape"
                            }),
                    ));
                }
            }
        }
    }

    /// An escape sequence at `pos` (the backslash); appends its character to `out.text`.
    fn escape(&mut self, out: &mut Str) -> PResult<()> {
        let start = self.pos;
        let Some(&c) = self.bytes.get(start + 1) else {
            return Err(self.unexpected_eof_at(start + 1, "an escape sequence"));
        };
        let simple = match c {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.text.push(ch);
            self.pos = start + 2;
            return Ok(());
        }
        if c != b'u' {
            let bad = start..self.char_span(start + 1).end;
            return Err(Box::new(
                Diagnostic::error(format!("invalid escape `{}` in a string", &self.text[bad.clone()]))
                    .at(bad)
                    .label("unknown escape")
                    .help(r#"JSON escapes are \" \\ \/ \b \f \n \r \t and \uXXXX"#),
            ));
        }
        let high = self.hex4(start)?;
        self.pos = start + 6;
        let ch = if (0xD800..0xDC00).contains(&high) {
            // A high surrogate must be followed by an escaped low surrogate.
            let low =
                if self.bytes.get(self.pos) == Some(&b'\\') && self.bytes.get(self.pos + 1) == Some(&b'u') {
                    Some(self.hex4(self.pos)?)
                } else {
                    None
                };
            match low {
                Some(low @ 0xDC00..0xE000) => {
                    self.pos += 6;
                    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                }
                _ => None,
            }
        } else {
            char::from_u32(high)
        };
        match ch {
            Some(ch) => {
                out.text.push(ch);
                Ok(())
            }
            None => Err(Box::new(
                Diagnostic::error(format!(
                    "unpaired surrogate `{}` in a string",
                    &self.text[start..start + 6]
                ))
                .at(start..start + 6)
                .label("not a Unicode scalar value")
                .help("a `\\uD800`-`\\uDBFF` escape must be followed by a `\\uDC00`-`\\uDFFF` escape"),
            )),
        }
    }

    /// The four hex digits of the `\u` escape whose backslash is at `at`.
    fn hex4(&self, at: usize) -> PResult<u32> {
        let digits = self.bytes.get(at + 2..at + 6).filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        match digits {
            // Four ASCII hex digits: valid UTF-8 and a valid number.
            Some(d) => Ok(d.iter().fold(0, |n, &b| n * 16 + (b as char).to_digit(16).unwrap_or(0))),
            None => {
                let mut end = at + 2;
                while end < at + 6 && self.bytes.get(end).is_some_and(u8::is_ascii_hexdigit) {
                    end += 1;
                }
                let end = if end < self.bytes.len() { self.char_span(end).end } else { end };
                Err(Box::new(
                    Diagnostic::error("invalid `\\u` escape in a string")
                        .at(at..end)
                        .label("expected four hex digits after `\\u`"),
                ))
            }
        }
    }

    fn number(&mut self) -> PResult<Value> {
        let start = self.pos;
        // Take the whole number-like run first so an error can show all of it.
        let mut end = start;
        while self.bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b)) {
            end += 1;
        }
        let token = &self.text[start..end];
        // The runtime's check of the JSON number grammar, so mapper files and payloads agree.
        if !hookmap_core::__private::is_json_number(token) {
            let help = if token.len() > 1 && token.trim_start_matches('-').starts_with('0') {
                "JSON numbers have no leading zeros; write it as a string if the zeros matter"
            } else {
                "JSON numbers look like `-12`, `3.5` or `1e9`"
            };
            return Err(Box::new(
                Diagnostic::error(format!("invalid number `{token}`"))
                    .at(start..end)
                    .label("not a JSON number")
                    .help(help),
            ));
        }
        self.pos = end;
        Ok(Value { kind: Kind::Number(token.to_owned()), span: start..end })
    }

    /// `true`, `false`, `null`, or a helpful error for other bare words.
    fn word(&mut self) -> PResult<Value> {
        let start = self.pos;
        let mut end = start;
        while self.bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            end += 1;
        }
        let kind = match &self.text[start..end] {
            "true" => Kind::Bool(true),
            "false" => Kind::Bool(false),
            "null" => Kind::Null,
            word => {
                let lower = word.to_ascii_lowercase();
                let help = if ["true", "false", "null"].contains(&lower.as_str()) {
                    format!("JSON literals are lowercase: `{lower}`")
                } else if ["nan", "infinity"].contains(&lower.as_str()) {
                    "JSON has no NaN or Infinity".to_owned()
                } else {
                    format!("strings need double quotes: `\"{word}\"`")
                };
                return Err(Box::new(
                    Diagnostic::error(format!("expected a value, found `{word}`"))
                        .at(start..end)
                        .label("not a JSON value")
                        .help(help),
                ));
            }
        };
        self.pos = end;
        Ok(Value { kind, span: start..end })
    }

    fn expected_key(&self) -> Box<Diagnostic> {
        let Some(&b) = self.bytes.get(self.pos) else {
            return self.unexpected_eof("a key");
        };
        let mut d = self.unexpected_diag("a key in double quotes");
        if b == b'\'' {
            d = d.help("JSON strings use double quotes");
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let mut end = self.pos;
            while self.bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
                end += 1;
            }
            d = d.help(format!("JSON keys are strings: `\"{}\"`", &self.text[self.pos..end]));
        }
        Box::new(d)
    }

    fn unexpected(&self, expected: &str) -> Box<Diagnostic> {
        let mut d = self.unexpected_diag(expected);
        if self.bytes.get(self.pos) == Some(&b'\'') {
            d = d.help("JSON strings use double quotes");
        }
        Box::new(d)
    }

    fn unexpected_diag(&self, expected: &str) -> Diagnostic {
        let found = self.char_span(self.pos);
        Diagnostic::error(format!("expected {expected}, found `{}`", &self.text[found.clone()]))
            .at(found)
            .label(format!("expected {expected}"))
    }

    fn unexpected_eof(&self, expected: &str) -> Box<Diagnostic> {
        self.unexpected_eof_at(self.pos, expected)
    }

    fn unexpected_eof_at(&self, at: usize, expected: &str) -> Box<Diagnostic> {
        // Point just after the last token rather than at trailing blank lines.
        let at = at.min(self.text.trim_end().len());
        Box::new(Diagnostic::error("unexpected end of file").at(at..at).label(format!("expected {expected}")))
    }

    /// The bytes of the character at `at` (at the end of the text: an empty range).
    fn char_span(&self, at: usize) -> Span {
        let len = self.text.get(at..).and_then(|rest| rest.chars().next()).map_or(0, char::len_utf8);
        at..at + len
    }
}

fn trailing_comma(comma: usize, close: char) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error("trailing comma")
            .at(comma..comma + 1)
            .label(format!("JSON allows no `,` before `{close}`"))
            .help("remove this comma"),
    )
}

/// 1-based line of a byte offset; only for the "first set on line N" note.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Value {
        let (value, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        value.expect("a value")
    }

    fn syntax_error(text: &str) -> Diagnostic {
        let (value, mut errors) = parse(text);
        assert!(value.is_none(), "expected a syntax error in {text:?}");
        errors.pop().expect("an error")
    }

    fn members(v: &Value) -> &[Member] {
        match &v.kind {
            Kind::Object(m) => m,
            other => panic!("not an object: {other:?}"),
        }
    }

    fn string(v: &Value) -> &Str {
        match &v.kind {
            Kind::String(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn spans_of_keys_and_values() {
        let text = r#"{ "a": [1, true, null], "bc": {"d": "x"} }"#;
        let v = ok(text);
        assert_eq!(v.span, 0..text.len());
        let m = members(&v);
        assert_eq!(&text[m[0].key_span.clone()], r#""a""#);
        assert_eq!(&text[m[0].value.span.clone()], "[1, true, null]");
        let Kind::Array(items) = &m[0].value.kind else { panic!() };
        assert_eq!(items[0].kind, Kind::Number("1".into()));
        assert_eq!(&text[items[1].span.clone()], "true");
        assert_eq!(items[2].kind, Kind::Null);
        assert_eq!(&text[m[1].key_span.clone()], r#""bc""#);
        let inner = members(&m[1].value);
        assert_eq!(&text[inner[0].value.span.clone()], r#""x""#);
        assert_eq!(string(&inner[0].value).text, "x");
    }

    #[test]
    fn strings_keep_an_escape_map() {
        // File offsets: `"` at 0, `$` at 1, `\n` escape at 3..5, `\u00e9` at 6..12.
        let text = r#""$.\na\u00e9b""#;
        let v = ok(text);
        let s = string(&v);
        assert_eq!(s.text, "$.\naéb");
        // After `\n`: text offset 3, file offset 5. After `\u00e9` (2 bytes): text 6, file 12.
        assert_eq!(s.escapes, vec![(3, 5), (6, 12)]);
    }

    #[test]
    fn escape_map_drives_path_file_span() {
        use crate::jsonpath::ast::Query;
        use crate::model::Path;
        let text = r#"  "$['a\"b'].c""#;
        let (value, _) = parse(text.trim_start());
        let s = string(&value.unwrap()).clone();
        assert_eq!(s.text, r#"$['a"b'].c"#);
        let path = Path {
            text: s.text.clone(),
            query: Query { segments: vec![], span: 0..0 },
            span: 2..text.len(),
            escapes: s.escapes.iter().map(|&(t, f)| (t, f + 2)).collect(),
        };
        // `c` is at text offset 9; in the file it is one byte later because of `\"`.
        let c = s.text.find(".c").unwrap() + 1;
        assert_eq!(&text[path.file_span(c..c + 1)], "c");
        // `b` comes right after the escape.
        let b = s.text.find('b').unwrap();
        assert_eq!(&text[path.file_span(b..b + 1)], "b");
        // A range covering the escaped quote covers the whole escape.
        let q = s.text.find('"').unwrap();
        assert_eq!(&text[path.file_span(q..q + 1)], r#"\""#);
    }

    #[test]
    fn surrogate_pairs_and_non_ascii() {
        let text = r#"["\ud83d\ude00x", "héllo"]"#;
        let v = ok(text);
        let Kind::Array(items) = &v.kind else { panic!() };
        let s = string(&items[0]);
        assert_eq!(s.text, "😀x");
        assert_eq!(s.escapes, vec![(4, 14)]);
        assert_eq!(string(&items[1]).text, "héllo");
        assert!(string(&items[1]).escapes.is_empty());
    }

    #[test]
    fn duplicate_keys_point_at_the_second_and_keep_the_first() {
        let text = "{\n  \"a\": 1,\n  \"a\": 2\n}";
        let (value, errors) = parse(text);
        let v = value.expect("duplicates are not fatal");
        assert_eq!(members(&v).len(), 1);
        assert_eq!(members(&v)[0].value.kind, Kind::Number("1".into()));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("duplicate key `a`"));
        let span = errors[0].span.clone().unwrap();
        assert_eq!(span.start, text.rfind("\"a\"").unwrap());
        assert_eq!(errors[0].notes, vec!["first set on line 2".to_owned()]);
    }

    #[test]
    fn trailing_comma_points_at_the_comma() {
        let text = "{\"a\": [1, 2,], \"b\": 1}";
        let e = syntax_error(text);
        assert_eq!(e.span, Some(11..12));
        assert!(e.message.contains("trailing comma"));
        let e = syntax_error("{\"a\": 1, }");
        assert_eq!(e.span, Some(7..8));
    }

    #[test]
    fn depth_limit() {
        let ok_text = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        ok(&ok_text);
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let e = syntax_error(&deep);
        assert_eq!(e.span, Some(MAX_DEPTH..MAX_DEPTH + 1));
        // Far deeper than the stack could take recursively: still an error, not a crash.
        let hostile = "[{\"a\":".repeat(100_000);
        assert!(syntax_error(&hostile).message.contains("nested deeper"));
    }

    #[test]
    fn syntax_errors_have_exact_positions() {
        let cases: &[(&str, std::ops::Range<usize>, &str)] = &[
            ("", 0..0, "empty"),
            ("   \n", 0..0, "empty"),
            ("{\"a\" 1}", 5..6, "expected `:`"),
            ("{\"a\": 1 \"b\": 2}", 8..9, "expected `,` or `}`"),
            ("{a: 1}", 1..2, "expected a key"),
            ("{\"a\": tru}", 6..9, "found `tru`"),
            ("{\"a\": True}", 6..10, "found `True`"),
            ("{\"a\": 01}", 6..8, "invalid number `01`"),
            ("{\"a\": 1.}", 6..8, "invalid number"),
            ("{\"a\": -}", 6..7, "invalid number"),
            ("{\"a\": \"x\\q\"}", 8..10, "invalid escape `\\q`"),
            ("{\"a\": \"\\u12g4\"}", 7..12, "invalid `\\u` escape"),
            ("{\"a\": \"\\ud800\"}", 7..13, "unpaired surrogate"),
            ("{\"a\": \"x\n\"}", 6..8, "unterminated string"),
            ("{\"a\": \"x\t\"}", 8..9, "control character"),
            ("{\"a\": 1}}", 8..9, "after the end"),
            ("{\"a\": 1", 7..7, "unexpected end of file"),
            ("{\"a\": 1\n\n", 7..7, "unexpected end of file"),
            ("// c\n{}", 0..2, "comments"),
            ("{\"a\": 'x'}", 6..7, "found `'`"),
            ("{\"a\": é}", 6..8, "found `é`"),
        ];
        for (text, span, words) in cases {
            let e = syntax_error(text);
            assert_eq!(e.span.as_ref(), Some(span), "{text:?}: {e:?}");
            assert!(e.message.contains(words), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn numbers_keep_their_text() {
        for n in ["0", "-0", "12", "3.50", "1e9", "-1.5E-3", "98765432109876543210"] {
            assert_eq!(ok(n).kind, Kind::Number(n.to_owned()));
        }
        for n in ["+1", ".5", "1e", "1e+", "00", "1.2.3", "0x10"] {
            assert!(parse(n).0.is_none(), "{n} accepted");
        }
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let v = ok("\u{feff}{}");
        assert_eq!(v.span, 3..5);
    }

    #[test]
    fn never_panics_on_mangled_input() {
        let base = r#"{"a": ["$.x\u00e9\"", 1.5e3, {"b": null}], "c": true}"#;
        // Every prefix, and every byte replaced by each interesting character.
        for end in 0..=base.len() {
            if base.is_char_boundary(end) {
                let _ = parse(&base[..end]);
            }
        }
        for (i, _) in base.char_indices() {
            for c in ['"', '\\', '{', '}', '[', ']', ',', ':', 'u', '-', '\n', 'é', '\u{feff}'] {
                let mut s = base.to_owned();
                let len = s[i..].chars().next().map_or(0, char::len_utf8);
                s.replace_range(i..i + len, &c.to_string());
                let _ = parse(&s);
            }
        }
    }
}
