//! A borrowed JSON tree, for the JSONPath constructs that need the whole value at hand
//! (filters, slices, wildcards, `..`).
//!
//! Built from JSON text that serde_json has already validated (the payload, or a value captured
//! from it), so the parser here is small; it still checks what it reads and answers `None`
//! rather than panic on text that is not JSON. Strings without escapes and all numbers borrow
//! from the text: numbers keep their exact spelling, which comparisons read as decimals.

use std::borrow::Cow;
use std::fmt;

/// How deep arrays and objects may nest in a value that is parsed into a tree: serde_json's
/// limit for the values it builds. Payloads may nest deeper where the mapper skips them (serde
/// skips without recursing); a query over such a value finds nothing rather than recurse
/// without bound.
pub const MAX_DEPTH: usize = 128;

/// A JSON value borrowed from its text: the text itself (so a node found by a query can be
/// handed on as JSON text, exactly as the payload spells it) and what it holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Json<'a> {
    text: &'a str,
    kind: Kind<'a>,
}

/// What a [`Json`] value holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written.
    Number(&'a str),
    /// A string, unescaped (borrowed when it has no escapes).
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object's members in document order. A repeated key keeps its first place and its last
    /// value, as serde_json does.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl<'a> Json<'a> {
    /// Parses one JSON value (surrounded by optional whitespace). `None` when the text is not
    /// JSON or nests deeper than [`MAX_DEPTH`].
    pub fn parse(text: &'a str) -> Option<Json<'a>> {
        let mut parser = Parser { text, at: 0 };
        let value = parser.value(0)?;
        parser.blank();
        (parser.at == text.len()).then_some(value)
    }

    /// `null`.
    pub fn null() -> Json<'static> {
        Json { text: "null", kind: Kind::Null }
    }

    /// The value's JSON text, as in the document.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// What the value holds.
    pub fn kind(&self) -> &Kind<'a> {
        &self.kind
    }

    /// The value of member `name`, when this is an object that has one.
    pub fn member(&self, name: &str) -> Option<&Json<'a>> {
        match &self.kind {
            Kind::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The element at `index` (negative counts from the end), when this is an array.
    pub fn index(&self, index: i64) -> Option<&Json<'a>> {
        let Kind::Array(items) = &self.kind else { return None };
        let len = i64::try_from(items.len()).ok()?;
        let i = if index < 0 { len.checked_add(index)? } else { index };
        items.get(usize::try_from(i).ok()?)
    }

    /// The elements of an array or the member values of an object, in document order; nothing
    /// for other values.
    pub fn children(&self) -> Children<'_, 'a> {
        match &self.kind {
            Kind::Array(items) => Children::Array(items.iter()),
            Kind::Object(members) => Children::Object(members.iter()),
            _ => Children::Array([].iter()),
        }
    }

    /// This value and all its descendants, parents before children, in document order (the
    /// order of RFC 9535's descendant segment).
    pub fn descendants(&self) -> Vec<&Json<'a>> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            out.push(node);
            // Pushed in reverse so that the first child is visited next.
            match &node.kind {
                Kind::Array(items) => stack.extend(items.iter().rev()),
                Kind::Object(members) => stack.extend(members.iter().rev().map(|(_, v)| v)),
                _ => {}
            }
        }
        out
    }
}

/// Iterator over [`Json::children`].
#[derive(Clone, Debug)]
pub enum Children<'n, 'a> {
    /// Elements of an array (empty for scalars).
    Array(std::slice::Iter<'n, Json<'a>>),
    /// Member values of an object.
    Object(std::slice::Iter<'n, (Cow<'a, str>, Json<'a>)>),
}

impl<'n, 'a> Iterator for Children<'n, 'a> {
    type Item = &'n Json<'a>;

    fn next(&mut self) -> Option<&'n Json<'a>> {
        match self {
            Children::Array(items) => items.next(),
            Children::Object(members) => members.next().map(|(_, v)| v),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Children::Array(items) => items.size_hint(),
            Children::Object(members) => members.size_hint(),
        }
    }
}

/// The value's JSON text, as in the document.
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn blank(&mut self) {
        while matches!(self.byte(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn word(&mut self, word: &str, value: Kind<'a>) -> Option<Kind<'a>> {
        self.text.get(self.at..)?.starts_with(word).then(|| {
            self.at += word.len();
            value
        })
    }

    fn value(&mut self, depth: usize) -> Option<Json<'a>> {
        self.blank();
        let start = self.at;
        let kind = match self.byte()? {
            b'n' => self.word("null", Kind::Null),
            b't' => self.word("true", Kind::Bool(true)),
            b'f' => self.word("false", Kind::Bool(false)),
            b'"' => self.string().map(Kind::String),
            b'[' if depth < MAX_DEPTH => self.array(depth + 1),
            b'{' if depth < MAX_DEPTH => self.object(depth + 1),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }?;
        Some(Json { text: self.text.get(start..self.at)?, kind })
    }

    fn number(&mut self) -> Option<Kind<'a>> {
        let start = self.at;
        while matches!(self.byte(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
            self.at += 1;
        }
        let text = self.text.get(start..self.at)?;
        is_json_number(text).then_some(Kind::Number(text))
    }

    fn string(&mut self) -> Option<Cow<'a, str>> {
        let start = self.at + 1;
        let mut escaped = false;
        let mut i = start;
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(i)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    i += 2;
                }
                b if *b < 0x20 => return None,
                _ => i += 1,
            }
        }
        let inner = self.text.get(start..i)?;
        self.at = i + 1;
        Some(if escaped { Cow::Owned(unescape(inner)) } else { Cow::Borrowed(inner) })
    }

    fn array(&mut self, depth: usize) -> Option<Kind<'a>> {
        self.at += 1;
        let mut items = Vec::new();
        self.blank();
        if self.byte()? == b']' {
            self.at += 1;
            return Some(Kind::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.blank();
            match self.byte()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(Kind::Array(items));
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize) -> Option<Kind<'a>> {
        self.at += 1;
        let mut members: Vec<(Cow<'a, str>, Json<'a>)> = Vec::new();
        self.blank();
        if self.byte()? == b'}' {
            self.at += 1;
            return Some(Kind::Object(members));
        }
        loop {
            self.blank();
            if self.byte()? != b'"' {
                return None;
            }
            let key = self.string()?;
            self.blank();
            if self.byte()? != b':' {
                return None;
            }
            self.at += 1;
            let value = self.value(depth)?;
            members.push((key, value));
            self.blank();
            match self.byte()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    dedup_keys(&mut members);
                    return Some(Kind::Object(members));
                }
                _ => return None,
            }
        }
    }
}

/// A repeated key keeps its first position and takes its last value. Sorting finds repeats in
/// O(n log n), so a payload object with many members costs no quadratic scan.
fn dedup_keys(members: &mut Vec<(Cow<'_, str>, Json<'_>)>) {
    if members.len() < 2 {
        return;
    }
    // Most objects are small and repeat nothing: compare pairwise without allocating (the
    // sort's index vector cost a tenth of mapping a survey payload with filters).
    let n = members.len();
    if n <= 16 && !(0..n).any(|i| (0..i).any(|j| members[i].0 == members[j].0)) {
        return;
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| members[a].0.cmp(&members[b].0).then(a.cmp(&b)));
    if !order.windows(2).any(|w| members[w[0]].0 == members[w[1]].0) {
        return;
    }
    // For each run of equal keys: the first index keeps the last value; the others go.
    let mut remove = vec![false; members.len()];
    let mut moves = Vec::new();
    let mut run_start = 0;
    for i in 1..=order.len() {
        if i == order.len() || members[order[i]].0 != members[order[run_start]].0 {
            if i - run_start > 1 {
                moves.push((order[run_start], order[i - 1]));
                for &j in &order[run_start + 1..i] {
                    remove[j] = true;
                }
            }
            run_start = i;
        }
    }
    for (first, last) in moves {
        let value = std::mem::replace(&mut members[last].1, Json::null());
        members[first].1 = value;
    }
    let mut i = 0;
    members.retain(|_| {
        let keep = !remove[i];
        i += 1;
        keep
    });
}

/// Whether `text` is a JSON number (RFC 8259).
pub fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// Decodes the escapes of a JSON string's contents.
///
/// JSON allows `\uD800`-style escapes of lone surrogates, which no Rust string can hold; they
/// become U+FFFD, as in a lossy UTF-16 decode, rather than failing the whole payload.
pub fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let escape = &rest[at + 1..];
        let mut consumed = 1;
        match escape.as_bytes().first() {
            Some(b'"') => out.push('"'),
            Some(b'\\') => out.push('\\'),
            Some(b'/') => out.push('/'),
            Some(b'b') => out.push('\u{8}'),
            Some(b'f') => out.push('\u{c}'),
            Some(b'n') => out.push('\n'),
            Some(b'r') => out.push('\r'),
            Some(b't') => out.push('\t'),
            Some(b'u') => {
                let high = hex4(escape.get(1..5));
                consumed = 5;
                let c = match high {
                    Some(h @ 0xD800..=0xDBFF) => {
                        let low =
                            escape.get(5..7).filter(|s| *s == "\\u").and_then(|_| hex4(escape.get(7..11)));
                        match low {
                            Some(l @ 0xDC00..=0xDFFF) => {
                                consumed = 11;
                                char::from_u32(0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00))
                            }
                            _ => None,
                        }
                    }
                    Some(code) => char::from_u32(code),
                    None => None,
                };
                out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            _ => out.push(char::REPLACEMENT_CHARACTER),
        }
        rest = escape.get(consumed..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn hex4(digits: Option<&str>) -> Option<u32> {
    let digits = digits?;
    if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        u32::from_str_radix(digits, 16).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_borrowing_and_prints_back() {
        let text = r#" {"a": [1, -2.50e3, "x\"y", true, null], "b": {}, "c": "plain"} "#;
        let json = Json::parse(text).unwrap();
        assert_eq!(json.member("a").and_then(|a| a.index(1)).map(Json::kind), Some(&Kind::Number("-2.50e3")));
        assert!(matches!(json.member("c").map(Json::kind), Some(Kind::String(Cow::Borrowed("plain")))));
        assert_eq!(json.to_string(), r#"{"a": [1, -2.50e3, "x\"y", true, null], "b": {}, "c": "plain"}"#);
        assert_eq!(json.member("a").map(Json::text), Some(r#"[1, -2.50e3, "x\"y", true, null]"#));
        assert_eq!(json.member("a").and_then(|a| a.index(-1)).map(Json::kind), Some(&Kind::Null));
        assert_eq!(json.member("a").and_then(|a| a.index(-6)), None);
        assert_eq!(json.member("a").and_then(|a| a.index(i64::MIN)), None);
    }

    #[test]
    fn refuses_what_is_not_json_without_panicking() {
        for text in [
            "",
            "[",
            "[1,]",
            "{\"a\"}",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "\"abc",
            "\"\\",
            "nul",
            "[1] 2",
            "{1:2}",
            "\"\u{1}\"",
            "\"é",
        ] {
            assert_eq!(Json::parse(text), None, "{text:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(Json::parse(&deep), None);
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(Json::parse(&ok).is_some());
    }

    #[test]
    fn repeated_keys_keep_first_place_and_last_value() {
        let json = Json::parse(r#"{"a":1,"b":2,"a":3,"c":4,"b":5,"a":6}"#).unwrap();
        let members: Vec<String> = json.children().map(Json::to_string).collect();
        assert_eq!(members, ["6", "5", "4"]);
        assert_eq!(json.member("a").map(Json::text), Some("6"));
    }

    #[test]
    fn descendants_are_in_document_order() {
        let json = Json::parse(r#"{"a":[1,{"b":2}],"c":3}"#).unwrap();
        let seen: Vec<String> = json.descendants().iter().map(|j| j.to_string()).collect();
        assert_eq!(seen, [r#"{"a":[1,{"b":2}],"c":3}"#, r#"[1,{"b":2}]"#, "1", r#"{"b":2}"#, "2", "3"]);
    }
}
