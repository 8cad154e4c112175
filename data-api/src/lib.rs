//! The rules MoEngage's Data API applies to what it is sent, in one place.
//!
//! The mapper compiler checks a mapper's literals against them (so a mapper that can only make
//! refused data does not compile) and the gateway checks every element it forwards against them
//! (values from payloads are only known then). A crate of its own, with no dependencies, rather
//! than a module of the runtime `hookmap`: the runtime's `macros` feature depends on the
//! compiler, so the compiler cannot depend on the runtime, and both must read the same numbers.
//!
//! Figures from MoEngage's Data API documentation: names without the `moe_` prefix and up to
//! 200 characters, values up to 512 characters, arrays up to 50 items, at most 100 attributes
//! kept per event, and a list of placeholder `customer_id` values that are refused.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;

/// Longest event or attribute name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest string attribute value, in characters.
pub const MAX_VALUE_CHARS: usize = 512;
/// Most items in an array attribute value.
pub const MAX_ARRAY_ITEMS: usize = 50;
/// Most attributes the Data API keeps per event.
pub const MAX_EVENT_ATTRIBUTES: usize = 100;
/// MoEngage keeps names with this prefix for itself.
pub const RESERVED_PREFIX: &str = "moe_";

/// `customer_id` values the Data API refuses, compared trimmed and case-insensitively.
pub const REFUSED_CUSTOMER_IDS: &[&str] = &[
    "unknown",
    "guest",
    "null",
    "0",
    "1",
    "2",
    "-1",
    "-2",
    "true",
    "false",
    "user_attribute_unique_id",
    "(empty)",
    "na",
    "n/a",
    "",
    "dummy_seller_code",
    "user_id",
    "id",
    "customer_id",
    "uid",
    "userid",
    "none",
];

/// Whether the Data API refuses `id` as a `customer_id`.
pub fn is_refused_customer_id(id: &str) -> bool {
    let trimmed = id.trim();
    REFUSED_CUSTOMER_IDS.iter().any(|r| r.eq_ignore_ascii_case(trimmed))
}

/// Why a name (of an event or an attribute) is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// Empty or only white space.
    Empty,
    /// Starts with [`RESERVED_PREFIX`].
    Reserved,
    /// Longer than [`MAX_NAME_CHARS`]; the length in characters.
    TooLong(usize),
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::Reserved => {
                write!(f, "starts with `{RESERVED_PREFIX}`, which MoEngage keeps for itself")
            }
            NameProblem::TooLong(n) => {
                write!(f, "is {n} characters long; MoEngage allows at most {MAX_NAME_CHARS}")
            }
        }
    }
}

/// The problem with an event or attribute name, if any.
pub fn name_problem(name: &str) -> Option<NameProblem> {
    if name.trim().is_empty() {
        return Some(NameProblem::Empty);
    }
    if name.starts_with(RESERVED_PREFIX) {
        return Some(NameProblem::Reserved);
    }
    let chars = name.chars().count();
    (chars > MAX_NAME_CHARS).then_some(NameProblem::TooLong(chars))
}

/// The length in characters of a string value longer than [`MAX_VALUE_CHARS`], if it is.
pub fn value_too_long(value: &str) -> Option<usize> {
    // Bytes bound characters from above: most values are decided without counting.
    if value.len() <= MAX_VALUE_CHARS {
        return None;
    }
    let chars = value.chars().count();
    (chars > MAX_VALUE_CHARS).then_some(chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_ids_are_compared_trimmed_and_caseless() {
        assert!(is_refused_customer_id(" Guest "));
        assert!(is_refused_customer_id("N/A"));
        assert!(is_refused_customer_id(""));
        assert!(!is_refused_customer_id("guest-42"));
    }

    #[test]
    fn names_and_values() {
        assert_eq!(name_problem("moe_x"), Some(NameProblem::Reserved));
        assert_eq!(name_problem("  "), Some(NameProblem::Empty));
        assert_eq!(name_problem(&"é".repeat(200)), None);
        assert_eq!(name_problem(&"a".repeat(201)), Some(NameProblem::TooLong(201)));
        assert_eq!(value_too_long(&"é".repeat(512)), None);
        assert_eq!(value_too_long(&"a".repeat(513)), Some(513));
    }
}
