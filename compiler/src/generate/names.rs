//! Rust names for things named in a mapper: member keys, files, types.

use std::collections::BTreeSet;

use proc_macro2::{Ident, Span};

/// `lead_form`, `seed-1-simple-form` → `LeadForm`, `Seed1SimpleForm`. Never empty, never starts
/// with a digit.
pub fn camel_case(text: &str) -> String {
    let mut out = String::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'M');
    }
    // `Self` is the one CamelCase word that is a keyword.
    if out == "Self" {
        out.push('_');
    }
    out
}

/// `customer_email`, `first-name`, `type` → `customer_email`, `first_name`, `type_`: a plain
/// identifier for a member key. Non-ASCII and punctuation become `_`.
pub fn snake_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' };
        // Runs of `_` would trip the `non_snake_case` lint in the user's crate.
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'm');
    }
    if syn::parse_str::<syn::Ident>(&out).is_err() || out == "_" {
        out.push('_');
    }
    out
}

/// Hands out names unique within one scope, appending a number on collision.
#[derive(Debug, Default)]
pub struct Namer {
    used: BTreeSet<String>,
}

impl Namer {
    /// A unique name based on `base`.
    pub fn unique(&mut self, base: &str) -> String {
        let mut name = base.to_owned();
        let mut n = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        name
    }

    /// A unique identifier based on `base`.
    pub fn ident(&mut self, base: &str) -> Ident {
        Ident::new(&self.unique(base), Span::call_site())
    }
}

/// An identifier from a name known to be valid.
pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_identifiers() {
        assert_eq!(camel_case("seed-1-simple-form"), "Seed1SimpleForm");
        assert_eq!(camel_case("1st"), "M1st");
        assert_eq!(camel_case("--"), "M");
        assert_eq!(snake_case("first-name"), "first_name");
        assert_eq!(snake_case("type"), "type_");
        assert_eq!(snake_case("self"), "self_");
        assert_eq!(snake_case("9lives"), "m9lives");
        assert_eq!(snake_case("_"), "__");
        assert_eq!(snake_case("émoji"), "_moji");
        assert_eq!(snake_case("a--b"), "a_b");
        assert_eq!(camel_case("self"), "Self_");
        let mut namer = Namer::default();
        assert_eq!(namer.unique("a"), "a");
        assert_eq!(namer.unique("a"), "a2");
        assert_eq!(namer.unique("a"), "a3");
    }
}
