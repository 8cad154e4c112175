//! The JSON reader that compiled mappers read payloads with: a serde `Deserializer` over text
//! already checked to be UTF-8, made for sparse reads.
//!
//! Generated code reads only the members a mapper names and skips the rest, and captures leaves
//! as their JSON text ([`Raw`]). serde_json does both, but through machinery meant for building
//! values: each capture goes through `RawValue`'s private map protocol, every captured string
//! is scanned again later to learn whether it has escapes, and skipping goes through the
//! general `Value` grammar. This reader skips with a tight validating loop, captures a span in
//! one step and records whether a string holds escapes while it scans it.
//!
//! It accepts exactly RFC 8259 JSON: one value, surrounded by whitespace only; strings without
//! control characters and with valid escapes; numbers in JSON syntax. Skipped values may nest
//! to any depth (they are skipped without recursion); values read into generated structs nest
//! only as deep as the mapper's paths.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::json::unescape;

/// A value captured as its JSON text, borrowed from the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw<'de> {
    text: &'de str,
    /// Whether a string holds escapes (known from reading it, so it need not be scanned again).
    escaped: bool,
}

impl<'de> Raw<'de> {
    /// Wraps JSON text found by other means (a node a compiled query found in a tree),
    /// borrowing it where it is; scans a string for escapes.
    pub fn from_json_text(text: &'de str) -> Self {
        Raw { text, escaped: text.starts_with('"') && text.contains('\\') }
    }

    /// The JSON text: a string with its quotes, a number as written, an object with its braces.
    pub fn get(self) -> &'de str {
        self.text
    }

    /// Whether the value is a string with escapes (`false` for other values).
    pub fn has_escapes(self) -> bool {
        self.escaped
    }
}

/// The newtype name under which [`Raw`] asks the [`Reader`] for a span.
const RAW_TOKEN: &str = "$hookmap::Raw";

impl<'de> de::Deserialize<'de> for Raw<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            // The reader hands over spans as borrowed text, and spans of strings with escapes
            // as borrowed bytes: the flag has no other way through serde's visitor interface.
            fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Raw<'de>, E> {
                Ok(Raw { text, escaped: false })
            }
            fn visit_borrowed_bytes<E: de::Error>(self, bytes: &'de [u8]) -> Result<Raw<'de>, E> {
                let text = std::str::from_utf8(bytes).map_err(E::custom)?;
                Ok(Raw { text, escaped: true })
            }
        }
        deserializer.deserialize_newtype_struct(RAW_TOKEN, RawVisitor)
    }
}

/// The newtype name under which a type asks the [`Reader`] to read a value and then hand over
/// its text as well, as a sequence of two elements: the value, then its span (a [`Raw`]).
pub const SPANNED_TOKEN: &str = "$hookmap::Spanned";

/// The two elements of a spanned read.
struct Spanned<'a, 'de> {
    reader: &'a mut Reader<'de>,
    start: usize,
    read: u8,
}

impl<'de> SeqAccess<'de> for Spanned<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.read += 1;
        match self.read {
            1 => seed.deserialize(&mut *self.reader).map(Some),
            2 => {
                let text = self.reader.slice(self.start, self.reader.pos)?;
                seed.deserialize(de::value::BorrowedStrDeserializer::new(text)).map(Some)
            }
            _ => Ok(None),
        }
    }
}

/// Why the text is not JSON, and where.
#[derive(Debug)]
pub struct Error {
    message: Cow<'static, str>,
    /// Byte offset; `None` for errors raised by a visitor, placed where reading stopped.
    at: Option<usize>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error { message: Cow::Owned(message.to_string()), at: None }
    }
}

impl Error {
    /// 1-based line and column (in characters) of the error in `text`.
    pub fn position(&self, text: &str, stopped_at: usize) -> (usize, usize) {
        let at = self.at.unwrap_or(stopped_at).min(text.len());
        let before = &text.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        (line, column)
    }
}

/// Reads JSON text; implements serde's `Deserializer` for the types generated code reads into.
#[derive(Debug)]
pub struct Reader<'de> {
    text: &'de str,
    pos: usize,
}

type Result<T, E = Error> = std::result::Result<T, E>;

const OBJECT: bool = true;
const ARRAY: bool = false;

impl<'de> Reader<'de> {
    /// A reader at the start of `text`.
    pub fn new(text: &'de str) -> Self {
        Reader { text, pos: 0 }
    }

    /// Where reading stopped (for errors raised by visitors).
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Checks that only whitespace follows the value read.
    pub fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters after the JSON value")),
        }
    }

    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    fn error(&self, message: &'static str) -> Error {
        Error { message: Cow::Borrowed(message), at: Some(self.pos) }
    }

    /// The next byte that is not whitespace, without consuming it.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        let b = *self.bytes().get(self.pos)?;
        // Every byte that can start a token is above the space: one test for compact JSON.
        if b > b' ' { Some(b) } else { self.skip_whitespace() }
    }

    /// Skips whitespace (in a local, which the compiler keeps in a register).
    fn skip_whitespace(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        let mut pos = self.pos;
        let next = loop {
            match bytes.get(pos) {
                Some(b' ' | b'\n' | b'\r' | b'\t') => pos += 1,
                other => break other.copied(),
            }
        };
        self.pos = pos;
        next
    }

    /// `text[start..end]`; both ends sit next to ASCII delimiters, so on character boundaries.
    fn slice(&self, start: usize, end: usize) -> Result<&'de str> {
        self.text.get(start..end).ok_or_else(|| self.error("invalid text"))
    }

    /// Skips a string (at its opening quote); returns whether it holds escapes. Inlined: most
    /// strings are short, and the call cost a fifth of skipping one.
    #[inline(always)]
    fn skip_string(&mut self) -> Result<bool> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            self.skip_plain_chars();
            match self.bytes().get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(escaped);
                }
                Some(b'\\') => {
                    escaped = true;
                    self.skip_escape()?;
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("end of input in a string")),
            }
        }
    }

    /// Advances over string bytes that are neither `"`, `\` nor control characters, eight at
    /// a time where it can.
    #[inline]
    fn skip_plain_chars(&mut self) {
        const ONES: u64 = u64::from_le_bytes([0x01; 8]);
        const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
        let bytes = self.bytes();
        while let Some(chunk) = bytes.get(self.pos..self.pos + 8) {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            // Has-zero-byte tests for `"`, `\` and bytes below 0x20 (bytes >= 0x80 never match).
            let quote = word ^ (ONES * u64::from(b'"'));
            let backslash = word ^ (ONES * u64::from(b'\\'));
            let found = (quote.wrapping_sub(ONES) & !quote)
                | (backslash.wrapping_sub(ONES) & !backslash)
                | (word.wrapping_sub(ONES * 0x20) & !word);
            let found = found & HIGHS;
            if found != 0 {
                self.pos += found.trailing_zeros() as usize / 8;
                return;
            }
            self.pos += 8;
        }
        while let Some(&b) = bytes.get(self.pos) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                return;
            }
            self.pos += 1;
        }
    }

    /// Skips one escape (at its backslash), checking it.
    fn skip_escape(&mut self) -> Result<()> {
        match self.bytes().get(self.pos + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'u') => {
                let digits = self.bytes().get(self.pos + 2..self.pos + 6);
                if digits.is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit)) {
                    self.pos += 6;
                    Ok(())
                } else {
                    Err(self.error("invalid \\u escape"))
                }
            }
            _ => Err(self.error("invalid escape")),
        }
    }

    /// Reads a string (at its opening quote): borrowed unless it holds escapes.
    #[inline]
    fn read_string(&mut self) -> Result<Cow<'de, str>> {
        let start = self.pos;
        let escaped = self.skip_string()?;
        let inner = self.slice(start + 1, self.pos - 1)?;
        Ok(if escaped { Cow::Owned(unescape(inner)) } else { Cow::Borrowed(inner) })
    }

    /// Skips a number, checking its syntax; returns whether it is an integer.
    #[inline]
    fn skip_number(&mut self) -> Result<bool> {
        let bytes = self.bytes();
        let digits = |pos: &mut usize| {
            let start = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos > start
        };
        let mut pos = self.pos;
        if bytes.get(pos) == Some(&b'-') {
            pos += 1;
        }
        match bytes.get(pos) {
            Some(b'0') => pos += 1,
            Some(b'1'..=b'9') => {
                digits(&mut pos);
            }
            _ => return Err(Error { message: Cow::Borrowed("invalid number"), at: Some(pos) }),
        }
        let mut integer = true;
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            integer = false;
            if !digits(&mut pos) {
                return Err(Error { message: Cow::Borrowed("invalid number"), at: Some(pos) });
            }
        }
        if matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            integer = false;
            if matches!(bytes.get(pos), Some(b'+' | b'-')) {
                pos += 1;
            }
            if !digits(&mut pos) {
                return Err(Error { message: Cow::Borrowed("invalid number"), at: Some(pos) });
            }
        }
        self.pos = pos;
        Ok(integer)
    }

    fn skip_literal(&mut self, literal: &[u8]) -> Result<()> {
        if self.bytes().get(self.pos..self.pos + literal.len()) == Some(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(self.error("invalid literal"))
        }
    }

    /// Skips `"key":` (at the key's quote, after whitespace).
    fn skip_key(&mut self) -> Result<()> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected an object key"));
        }
        self.skip_string()?;
        self.colon()
    }

    fn colon(&mut self) -> Result<()> {
        if self.peek() != Some(b':') {
            return Err(self.error("expected `:`"));
        }
        self.pos += 1;
        Ok(())
    }

    /// Skips one value of any depth without recursion, checking it; returns whether it was a
    /// string with escapes.
    fn skip_value(&mut self) -> Result<bool> {
        let mut open = Nesting::default();
        loop {
            // A value.
            match self.peek() {
                Some(b'"') => {
                    let escaped = self.skip_string()?;
                    if open.is_empty() {
                        return Ok(escaped);
                    }
                }
                Some(b'{') => {
                    self.pos += 1;
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        open.push(OBJECT);
                        self.skip_key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        open.push(ARRAY);
                        continue;
                    }
                }
                Some(b't') => self.skip_literal(b"true")?,
                Some(b'f') => self.skip_literal(b"false")?,
                Some(b'n') => self.skip_literal(b"null")?,
                Some(b'-' | b'0'..=b'9') => {
                    self.skip_number()?;
                }
                Some(_) => return Err(self.error("expected a value")),
                None => return Err(self.error("end of input where a value was expected")),
            }
            // What follows a value: closing brackets, then a comma or the end.
            loop {
                let Some(container) = open.top() else { return Ok(false) };
                match (self.peek(), container) {
                    (Some(b','), _) => {
                        self.pos += 1;
                        if container == OBJECT {
                            self.skip_key()?;
                        }
                        break;
                    }
                    (Some(b'}'), OBJECT) | (Some(b']'), ARRAY) => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return Err(self.error("expected `,` or the end of the object or array")),
                }
            }
        }
    }

    /// Captures the next value as its text.
    #[inline]
    fn capture(&mut self) -> Result<(&'de str, bool)> {
        let first = self.peek();
        let start = self.pos;
        // Leaves, the usual capture, directly; containers through the general skip.
        let escaped = match first {
            Some(b'"') => self.skip_string()?,
            Some(b'-' | b'0'..=b'9') => {
                self.skip_number()?;
                false
            }
            _ => self.skip_value()?,
        };
        Ok((self.slice(start, self.pos)?, escaped))
    }
}

/// Calls `f` with each member of the JSON object `text` (key unescaped, value as its text), in
/// order. Reads directly rather than through serde: `create_all` copies every member, and the
/// visitor machinery cost more than the reading.
pub fn for_each_member<'de>(text: &'de str, mut f: impl FnMut(Cow<'de, str>, Raw<'de>)) -> Result<()> {
    let mut reader = Reader::new(text);
    if reader.peek() != Some(b'{') {
        return Err(reader.error("expected an object"));
    }
    reader.pos += 1;
    if reader.peek() == Some(b'}') {
        reader.pos += 1;
        return reader.end();
    }
    loop {
        if reader.peek() != Some(b'"') {
            return Err(reader.error("expected an object key"));
        }
        let key = reader.read_string()?;
        reader.colon()?;
        let (text, escaped) = reader.capture()?;
        f(key, Raw { text, escaped });
        match reader.peek() {
            Some(b',') => reader.pos += 1,
            Some(b'}') => {
                reader.pos += 1;
                return reader.end();
            }
            _ => return Err(reader.error("expected `,` or `}`")),
        }
    }
}

/// The open containers of a skipped value: one bit each, in a word until 64 levels deep.
#[derive(Default)]
struct Nesting {
    depth: usize,
    bits: u64,
    deeper: Vec<u64>,
}

impl Nesting {
    fn is_empty(&self) -> bool {
        self.depth == 0
    }

    fn push(&mut self, object: bool) {
        if self.depth > 0 && self.depth.is_multiple_of(64) {
            self.deeper.push(self.bits);
            self.bits = 0;
        }
        let bit = 1u64 << (self.depth % 64);
        self.bits = if object { self.bits | bit } else { self.bits & !bit };
        self.depth += 1;
    }

    fn top(&self) -> Option<bool> {
        let depth = self.depth.checked_sub(1)?;
        Some(self.bits & (1u64 << (depth % 64)) != 0)
    }

    fn pop(&mut self) {
        self.depth -= 1;
        if self.depth > 0 && self.depth.is_multiple_of(64) {
            self.bits = self.deeper.pop().unwrap_or(0);
        }
    }
}

impl<'de> Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'{') => {
                self.pos += 1;
                let mut members = Members { reader: self, first: true, done: false };
                let value = visitor.visit_map(&mut members)?;
                if members.done { Ok(value) } else { Err(self.error("object not read to its end")) }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut elements = Elements { reader: self, first: true, done: false };
                let value = visitor.visit_seq(&mut elements)?;
                if elements.done { Ok(value) } else { Err(self.error("array not read to its end")) }
            }
            Some(b'"') => match self.read_string()? {
                Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
                Cow::Owned(s) => visitor.visit_string(s),
            },
            Some(b't') => {
                self.skip_literal(b"true")?;
                visitor.visit_bool(true)
            }
            Some(b'f') => {
                self.skip_literal(b"false")?;
                visitor.visit_bool(false)
            }
            Some(b'n') => {
                self.skip_literal(b"null")?;
                visitor.visit_unit()
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                let integer = self.skip_number()?;
                let text = self.slice(start, self.pos)?;
                // Generated code never reads numbers this way, only skips them as "not the
                // expected object or array"; the value is still given as serde_json would.
                match (integer, text.parse::<u64>(), text.parse::<i64>()) {
                    (true, Ok(n), _) => visitor.visit_u64(n),
                    (true, _, Ok(n)) => visitor.visit_i64(n),
                    _ => visitor.visit_f64(text.parse().unwrap_or(f64::NAN)),
                }
            }
            Some(_) => Err(self.error("expected a value")),
            None => Err(self.error("end of input where a value was expected")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek() == Some(b'n') {
            self.skip_literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        if name == SPANNED_TOKEN {
            self.peek();
            let start = self.pos;
            return visitor.visit_seq(Spanned { reader: self, start, read: 0 });
        }
        if name == RAW_TOKEN {
            return match self.capture()? {
                (text, false) => visitor.visit_borrowed_str(text),
                (text, true) => visitor.visit_borrowed_bytes(text.as_bytes()),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // Object keys come this way: take strings directly, anything else as `any` would.
        if self.peek() != Some(b'"') {
            return self.deserialize_any(visitor);
        }
        match self.read_string()? {
            Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct enum identifier
    }
}

/// The members of an object being read.
struct Members<'a, 'de> {
    reader: &'a mut Reader<'de>,
    first: bool,
    /// Whether the closing brace was read.
    done: bool,
}

impl<'de> MapAccess<'de> for Members<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let reader = &mut *self.reader;
        match reader.peek() {
            Some(b'}') if self.first => {
                reader.pos += 1;
                self.done = true;
                return Ok(None);
            }
            _ if self.first => self.first = false,
            Some(b',') => reader.pos += 1,
            Some(b'}') => {
                reader.pos += 1;
                self.done = true;
                return Ok(None);
            }
            _ => return Err(reader.error("expected `,` or `}`")),
        }
        if reader.peek() != Some(b'"') {
            return Err(reader.error("expected an object key"));
        }
        let key = seed.deserialize(&mut *reader)?;
        reader.colon()?;
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.reader)
    }
}

/// The elements of an array being read.
struct Elements<'a, 'de> {
    reader: &'a mut Reader<'de>,
    first: bool,
    /// Whether the closing bracket was read.
    done: bool,
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let reader = &mut *self.reader;
        match reader.peek() {
            Some(b']') if self.first => {
                reader.pos += 1;
                self.done = true;
                return Ok(None);
            }
            _ if self.first => self.first = false,
            Some(b',') => reader.pos += 1,
            Some(b']') => {
                reader.pos += 1;
                self.done = true;
                return Ok(None);
            }
            _ => return Err(reader.error("expected `,` or `]`")),
        }
        seed.deserialize(&mut *reader).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde::de::IgnoredAny;

    use super::{Raw, Reader};

    fn accepts(text: &str) -> bool {
        let mut reader = Reader::new(text);
        serde::Deserialize::deserialize(&mut reader).and_then(|IgnoredAny| reader.end()).is_ok()
    }

    #[test]
    fn accepts_and_rejects_what_serde_json_does() {
        let cases = [
            "",
            " ",
            "{",
            "}",
            "[",
            "]",
            "{}",
            "[]",
            " [ ] ",
            "{\"a\":1}",
            "{\"a\":1,}",
            "[1,]",
            "[,1]",
            "{\"a\" 1}",
            "{\"a\":}",
            "{1:2}",
            "{\"a\":1 \"b\":2}",
            "[1 2]",
            "nul",
            "null",
            "true",
            "false",
            "tru",
            "nulll",
            "0",
            "-0",
            "01",
            "-",
            "1.",
            "1.5",
            ".5",
            "1e",
            "1e+",
            "1e+5",
            "1E-5",
            "-1.5e10",
            "1x",
            "\"a\"",
            "\"a",
            "\"\\u12\"",
            "\"\\u12ab\"",
            "\"\\x\"",
            "\"\t\"",
            "\"\\ud800\"",
            "[[[]]]",
            "[[[]]",
            "[{\"a\":[{}]}]",
            "{\"a\":{\"b\":[1,{\"c\":null}]}}",
            "{} {}",
            "[] x",
            "\"é\"",
            "[\"\\\"\", \"\\\\\"]",
            "{\"a\":1}}",
            "[1]]",
            "{\"a\":[}",
        ];
        for text in cases {
            let want = serde_json::from_str::<IgnoredAny>(text).is_ok();
            assert_eq!(accepts(text), want, "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4096, ..Default::default() })]

        /// Byte-level edits of valid documents: the reader accepts exactly what serde_json
        /// accepts (shallow documents, where serde_json's recursion limit does not apply).
        #[test]
        fn accepts_exactly_what_serde_json_accepts(
            seed in 0usize..SEEDS.len(),
            edits in proptest::collection::vec((0usize..64, proptest::sample::select(TOKENS.to_vec()), 0u8..3), 0..6),
        ) {
            let mut text = SEEDS[seed].to_owned();
            for (at, token, op) in edits {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                match op {
                    0 => text.insert_str(at, token),
                    1 if at < text.len() => {
                        let end = (at + 1..=text.len()).find(|&e| text.is_char_boundary(e)).unwrap_or(text.len());
                        text.replace_range(at..end, "");
                    }
                    _ => text.replace_range(at..at, token),
                }
            }
            let want = serde_json::from_str::<IgnoredAny>(&text).is_ok();
            proptest::prop_assert_eq!(accepts(&text), want, "{:?}", text);
        }
    }

    const SEEDS: &[&str] = &[
        r#"{"a": [1, 2.5e-3, -0, true, false, null], "b": {"c": "d\"e\u00e9\ud83d\ude00"}}"#,
        r#"[{"orders": [{"id": "x", "n": 12}, {}], "s": ""}, [], [[]]]"#,
        r#"  {"k\n": -1.0E+2 , "é": "ü", "t": "\t\/\b\f\r"}  "#,
    ];

    const TOKENS: &[&str] = &[
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "0", "-", ".", "e", "+", "1", " ", "\n", "\t",
        "\u{1}", "n", "t", "f", "ull", "rue", "alse", "é", "\u{7f}", "\u{2028}",
    ];

    #[test]
    fn skips_very_deep_values_without_recursion() {
        let deep = format!("{}0{}", "[{\"a\":".repeat(100_000), "}]".repeat(100_000));
        assert!(accepts(&deep));
        let unbalanced = format!("{}{}", "[".repeat(1000), "]".repeat(999));
        assert!(!accepts(&unbalanced));
    }

    #[test]
    fn captures_spans_and_escapes() {
        let text = r#"[ "plain", "a\"b", 1.50, {"k": [true]} ]"#;
        let mut reader = Reader::new(text);
        let raws: Vec<Raw<'_>> = serde::Deserialize::deserialize(&mut reader).unwrap();
        let texts: Vec<(&str, bool)> = raws.iter().map(|r| (r.get(), r.has_escapes())).collect();
        assert_eq!(
            texts,
            [("\"plain\"", false), ("\"a\\\"b\"", true), ("1.50", false), ("{\"k\": [true]}", false)]
        );
    }
}
