//! The run-time half of compiled JSONPath filters (RFC 9535 section 2.3.5): the values filter
//! expressions compare, the comparison rules, the function extensions, and the slice selector.
//!
//! The compiler turns the shape of every query into straight-line code over [`Json`]; what is
//! left here is what depends on the values only.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

use crate::json::{Json, Kind};

/// A value in a filter expression: RFC 9535's `ValueType`, where [`Operand::Nothing`] is the
/// special result of a query that selects no node.
#[derive(Clone, Copy, Debug)]
pub enum Operand<'n, 'a> {
    /// No value (an empty nodelist, or a function result with no value).
    Nothing,
    /// A node of the queried document.
    Node(&'n Json<'a>),
    /// The literal `null`.
    Null,
    /// A boolean literal.
    Bool(bool),
    /// A number literal, as written (valid JSON number syntax).
    Number(&'n str),
    /// A string literal.
    String(&'n str),
    /// A number computed by `length()` or `count()`.
    Count(usize),
}

impl<'n, 'a> Operand<'n, 'a> {
    /// The result of a singular query: its node, or nothing.
    pub fn node(node: Option<&'n Json<'a>>) -> Self {
        node.map_or(Operand::Nothing, Operand::Node)
    }
}

/// What an operand is, with nodes looked into.
enum View<'n, 'a> {
    Nothing,
    Null,
    Bool(bool),
    Number(Decimal),
    String(&'n str),
    Array(&'n [Json<'a>]),
    Object(&'n [(Cow<'a, str>, Json<'a>)]),
}

fn view<'n, 'a>(operand: Operand<'n, 'a>) -> View<'n, 'a> {
    match operand {
        Operand::Nothing => View::Nothing,
        Operand::Node(node) => node_view(node),
        Operand::Null => View::Null,
        Operand::Bool(b) => View::Bool(b),
        Operand::Number(n) => View::Number(Decimal::parse(n)),
        Operand::String(s) => View::String(s),
        Operand::Count(n) => View::Number(Decimal::count(n)),
    }
}

fn node_view<'n, 'a>(node: &'n Json<'a>) -> View<'n, 'a> {
    match node.kind() {
        Kind::Null => View::Null,
        Kind::Bool(b) => View::Bool(*b),
        Kind::Number(n) => View::Number(Decimal::parse(n)),
        Kind::String(s) => View::String(s),
        Kind::Array(items) => View::Array(items),
        Kind::Object(members) => View::Object(members),
    }
}

/// `==`: numbers by value, strings by code points, arrays and objects deeply; two `Nothing`s
/// are equal, `Nothing` and a value are not.
pub fn eq(left: Operand<'_, '_>, right: Operand<'_, '_>) -> bool {
    views_equal(&view(left), &view(right))
}

/// `!=`: not `==`.
pub fn ne(left: Operand<'_, '_>, right: Operand<'_, '_>) -> bool {
    !eq(left, right)
}

/// `<`: only numbers and strings are ordered; everything else compares false.
pub fn lt(left: Operand<'_, '_>, right: Operand<'_, '_>) -> bool {
    match (view(left), view(right)) {
        (View::Number(a), View::Number(b)) => a < b,
        // Byte order of UTF-8 is code point order.
        (View::String(a), View::String(b)) => a < b,
        _ => false,
    }
}

/// `<=`: `<` or `==`.
pub fn le(left: Operand<'_, '_>, right: Operand<'_, '_>) -> bool {
    lt(left, right) || eq(left, right)
}

/// `>`: `<` with the operands swapped.
pub fn gt(left: Operand<'_, '_>, right: Operand<'_, '_>) -> bool {
    lt(right, left)
}

/// `>=`: `<=` with the operands swapped.
pub fn ge(left: Operand<'_, '_>, right: Operand<'_, '_>) -> bool {
    le(right, left)
}

fn views_equal(a: &View<'_, '_>, b: &View<'_, '_>) -> bool {
    match (a, b) {
        (View::Nothing, View::Nothing) | (View::Null, View::Null) => true,
        (View::Bool(a), View::Bool(b)) => a == b,
        (View::Number(a), View::Number(b)) => a == b,
        (View::String(a), View::String(b)) => a == b,
        (View::Array(a), View::Array(b)) => {
            a.len() == b.len() && a.iter().zip(*b).all(|(x, y)| json_equal(x, y))
        }
        (View::Object(a), View::Object(b)) => {
            // Keys are unique (the parser merged repeats), so equal sizes and every key of one
            // found with an equal value in the other is set equality.
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.iter().find(|(k2, _)| k2 == k).is_some_and(|(_, w)| json_equal(v, w)))
        }
        _ => false,
    }
}

fn json_equal(a: &Json<'_>, b: &Json<'_>) -> bool {
    views_equal(&node_view(a), &node_view(b))
}

/// `length()`: characters of a string, elements of an array, members of an object; `Nothing`
/// for anything else.
pub fn length<'n, 'a>(value: Operand<'n, 'a>) -> Operand<'n, 'a> {
    match view(value) {
        View::String(s) => Operand::Count(s.chars().count()),
        View::Array(items) => Operand::Count(items.len()),
        View::Object(members) => Operand::Count(members.len()),
        _ => Operand::Nothing,
    }
}

/// A compiled I-Regexp, made the first time its filter runs. `None` when the `regex` crate
/// refuses the translation (only size limits can do that: the compiler checked the syntax).
pub type Pattern = LazyLock<Option<Regex>>;

/// The pattern of a `match()` / `search()` that can never match: its literal is no string, or
/// no I-Regexp.
pub static NO_PATTERN: Pattern = LazyLock::new(|| None);

/// Compiles a pattern the compiler translated, for a [`Pattern`].
pub fn pattern(translated: &str) -> Option<Regex> {
    Regex::new(translated).ok()
}

/// `match()` / `search()` with a pattern known at build time: true when `value` is a string the
/// pattern matches (the anchoring is part of the translation).
pub fn is_match(pattern: &Pattern, value: Operand<'_, '_>) -> bool {
    match (view(value), &**pattern) {
        (View::String(s), Some(regex)) => regex.is_match(s),
        _ => false,
    }
}

thread_local! {
    /// The last pattern read from a document, per thread: a filter that takes its pattern from
    /// the payload usually sees the same one for every candidate.
    static DYNAMIC: std::cell::RefCell<Option<(String, hookmap_iregexp::Mode, Option<Regex>)>> =
        const { std::cell::RefCell::new(None) };
}

/// `match()` / `search()` with a pattern from the document: false when the pattern is not a
/// string or not I-Regexp (RFC 9535 says `LogicalFalse`, not an error).
pub fn is_match_dynamic(
    value: Operand<'_, '_>,
    pattern: Operand<'_, '_>,
    mode: hookmap_iregexp::Mode,
) -> bool {
    let (View::String(text), View::String(pattern)) = (view(value), view(pattern)) else { return false };
    DYNAMIC.with(|cache| {
        let mut cache = cache.borrow_mut();
        let fresh = !matches!(&*cache, Some((p, m, _)) if p == pattern && *m == mode);
        if fresh {
            let regex = hookmap_iregexp::translate(pattern, mode).ok().and_then(|t| Regex::new(&t).ok());
            *cache = Some((pattern.to_owned(), mode, regex));
        }
        matches!(&*cache, Some((_, _, Some(regex))) if regex.is_match(text))
    })
}

/// The slice selector `[start:end:step]` (RFC 9535 section 2.3.4.2): the selected elements of
/// an array in selection order; nothing for other values.
pub fn slice<'n, 'a>(
    value: &'n Json<'a>,
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Slice<'n, 'a> {
    let items: &[Json<'a>] = match value.kind() {
        Kind::Array(items) => items,
        _ => &[],
    };
    Slice { items, indices: SliceIndices::new(items.len(), start, end, step) }
}

/// Iterator over a [`slice`] selection.
#[derive(Clone, Debug)]
pub struct Slice<'n, 'a> {
    items: &'n [Json<'a>],
    indices: SliceIndices,
}

impl<'n, 'a> Iterator for Slice<'n, 'a> {
    type Item = &'n Json<'a>;

    fn next(&mut self) -> Option<&'n Json<'a>> {
        self.indices.next().and_then(|i| self.items.get(i))
    }
}

/// A slice level of a batching chain: the selected elements with their array positions.
pub fn slice_enumerate<T>(
    items: &[T],
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> impl Iterator<Item = (usize, &T)> {
    SliceIndices::new(items.len(), start, end, step).filter_map(|i| Some((i, items.get(i)?)))
}

/// The positions a slice selects in an array of `len` elements, in selection order.
#[derive(Clone, Debug)]
struct SliceIndices {
    next: i64,
    end: i64,
    step: i64,
}

impl SliceIndices {
    fn new(len: usize, start: Option<i64>, end: Option<i64>, step: Option<i64>) -> Self {
        let len = i64::try_from(len).unwrap_or(i64::MAX);
        let step = step.unwrap_or(1);
        let normalize = |i: i64| if i >= 0 { i } else { len.saturating_add(i) };
        let (next, end) = match step.cmp(&0) {
            Ordering::Greater => {
                let lower = start.map_or(0, normalize).clamp(0, len);
                let upper = end.map_or(len, normalize).clamp(0, len);
                (lower, upper)
            }
            // Counting down: from the upper bound to just above the lower one.
            Ordering::Less => {
                let upper = start.map_or(len - 1, normalize).clamp(-1, len - 1);
                let lower = end.map_or(-1, normalize).clamp(-1, len - 1);
                (upper, lower)
            }
            Ordering::Equal => (0, 0),
        };
        SliceIndices { next, end, step }
    }
}

impl Iterator for SliceIndices {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let more = if self.step > 0 { self.next < self.end } else { self.step < 0 && self.next > self.end };
        if !more {
            return None;
        }
        let index = usize::try_from(self.next).ok();
        // Past the ends the iteration stops on the next call.
        self.next = self.next.checked_add(self.step).unwrap_or(self.end);
        index
    }
}

/// A JSON number as an exact decimal: sign, significant digits without leading or trailing
/// zeros, and the power of ten of the first digit. Compares exactly, at any size or precision
/// (`1`, `1.0`, `10e-1` and `0.1E1` are all equal; `-0` equals `0`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    /// ASCII digits, no leading or trailing `0`; empty for zero.
    digits: Vec<u8>,
    /// The value is `0.d1d2d3… × 10^exponent`.
    exponent: i64,
}

impl Decimal {
    fn parse(text: &str) -> Decimal {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(at) => {
                (&rest[..at], rest[at + 1..].parse::<i64>().unwrap_or_else(|_| saturate(&rest[at + 1..])))
            }
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all: Vec<u8> = int.bytes().chain(frac.bytes()).filter(u8::is_ascii_digit).collect();
        let leading = all.iter().take_while(|&&d| d == b'0').count();
        let mut digits = all[leading..].to_vec();
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        let int_len = i64::try_from(int.len()).unwrap_or(i64::MAX);
        let lead = i64::try_from(leading).unwrap_or(i64::MAX);
        // Zero has one spelling: no digits, no sign, exponent 0.
        let exponent = if digits.is_empty() { 0 } else { exp.saturating_add(int_len).saturating_sub(lead) };
        let negative = negative && !digits.is_empty();
        Decimal { negative, digits, exponent }
    }

    fn count(n: usize) -> Decimal {
        Decimal::parse(&n.to_string())
    }

    fn magnitude_cmp(&self, other: &Decimal) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            // Digit strings without leading zeros compare lexicographically once the exponents
            // agree (a shorter prefix is smaller).
            (false, false) => self.exponent.cmp(&other.exponent).then_with(|| self.digits.cmp(&other.digits)),
        }
    }
}

/// An exponent too large for `i64`: its sign decides, the exact size does not matter.
fn saturate(exponent: &str) -> i64 {
    if exponent.starts_with('-') { i64::MIN / 2 } else { i64::MAX / 2 }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        match (self.negative, other.negative) {
            (false, false) => self.magnitude_cmp(other),
            (true, true) => other.magnitude_cmp(self),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str) -> Operand<'_, 'static> {
        Operand::Number(text)
    }

    #[test]
    fn numbers_compare_exactly_by_value() {
        assert!(eq(num("1"), num("1.0")));
        assert!(eq(num("1"), num("10e-1")));
        assert!(eq(num("0.1E1"), num("1")));
        assert!(eq(num("-0"), num("0")));
        assert!(eq(num("0.000"), num("-0e5")));
        assert!(eq(Operand::Count(100), num("1E2")));
        assert!(lt(num("-1"), num("0")));
        assert!(lt(num("-2"), num("-1.5")));
        assert!(lt(num("0.9999999999999999999999"), num("1")));
        assert!(!eq(num("12345678901234567890"), num("12345678901234567891")));
        assert!(lt(num("12345678901234567890"), num("12345678901234567891")));
        assert!(lt(num("1e-400"), num("1e400")));
        assert!(gt(num("1e99999999999999999999"), num("1e400")));
        assert!(le(num("2"), num("2.0")) && ge(num("2"), num("2.0")));
    }

    #[test]
    fn other_types_follow_the_rfc() {
        let doc = Json::parse(r#"{"a":[1,{"b":"x"}],"c":[1.0,{"b":"x"}],"d":"é","e":null}"#).unwrap();
        let a = Operand::node(doc.member("a"));
        let c = Operand::node(doc.member("c"));
        assert!(eq(a, c));
        assert!(!lt(a, c) && le(a, c));
        assert!(eq(Operand::Nothing, Operand::Nothing));
        assert!(!eq(Operand::Nothing, Operand::Null));
        assert!(eq(Operand::node(doc.member("e")), Operand::Null));
        assert!(!le(Operand::Nothing, Operand::Nothing) || eq(Operand::Nothing, Operand::Nothing));
        assert!(lt(Operand::String("z"), Operand::node(doc.member("d"))));
        assert!(!lt(Operand::Bool(false), Operand::Bool(true)));
        assert!(matches!(length(Operand::node(doc.member("d"))), Operand::Count(1)));
        assert!(matches!(length(Operand::Number("3")), Operand::Nothing));
    }

    #[test]
    fn slices_follow_the_rfc() {
        let doc = Json::parse("[0,1,2,3,4,5,6,7,8,9]").unwrap();
        let take = |s: Option<i64>, e: Option<i64>, st: Option<i64>| -> Vec<String> {
            slice(&doc, s, e, st).map(|j| j.to_string()).collect()
        };
        assert_eq!(take(Some(1), Some(3), None), ["1", "2"]);
        assert_eq!(take(None, None, Some(-3)), ["9", "6", "3", "0"]);
        assert_eq!(take(Some(-2), None, None), ["8", "9"]);
        assert_eq!(take(Some(5), Some(1), Some(-2)), ["5", "3"]);
        assert_eq!(take(None, None, Some(0)), Vec::<String>::new());
        assert_eq!(take(Some(i64::MIN), Some(i64::MAX), Some(i64::MAX)), ["0"]);
        assert_eq!(take(Some(i64::MAX), Some(i64::MIN), Some(i64::MIN)), ["9"]);
        assert_eq!(slice(&Json::parse("{}").unwrap(), None, None, None).count(), 0);
    }

    #[test]
    fn every_i_regexp_category_compiles_with_the_enabled_tables() {
        for category in [
            "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd",
            "Pe", "Pf", "Pi", "Po", "Ps", "Z", "Zl", "Zp", "Zs", "S", "Sc", "Sk", "Sm", "So", "C", "Cc",
            "Cf", "Cn", "Co",
        ] {
            let translated = hookmap_iregexp::translate(
                &format!("[\\p{{{category}}}]\\P{{{category}}}"),
                hookmap_iregexp::Mode::Match,
            )
            .unwrap();
            assert!(pattern(&translated).is_some(), "{category}");
        }
    }

    #[test]
    fn dynamic_patterns_are_i_regexp() {
        let s = |t| Operand::String(t);
        assert!(is_match_dynamic(s("bab"), s("b.?b"), hookmap_iregexp::Mode::Match));
        assert!(!is_match_dynamic(s("abab"), s("b.?b"), hookmap_iregexp::Mode::Match));
        assert!(is_match_dynamic(s("abab"), s("b.?b"), hookmap_iregexp::Mode::Search));
        assert!(!is_match_dynamic(s("a"), s("\\d"), hookmap_iregexp::Mode::Search));
        assert!(!is_match_dynamic(s("a"), Operand::Number("1"), hookmap_iregexp::Mode::Search));
        assert!(!is_match_dynamic(s("\n"), s("."), hookmap_iregexp::Mode::Match));
        assert!(is_match_dynamic(s("\u{2028}"), s("."), hookmap_iregexp::Mode::Match));
    }
}
