//! What the compiler refuses in mapper paths now that any RFC 9535 path is read: each refusal
//! is a diagnostic pointing into the path, never a panic.

use hookmap_compiler::{Options, Source, compile};

fn mapper(customer_id: &str, batching: bool) -> String {
    format!(
        r#"{{
  "partner_name": "shop",
  "mapping_type": "users",
  "mappings": {{
    "customer_id": {customer_id:?}
  }},
  "batching": {batching},
  "payload_validations": {{}}
}}"#
    )
}

fn rejected(text: &str) -> String {
    match compile(&Source::inline("m.json", text.to_owned()), &Options::default()) {
        Ok(_) => panic!("{text} should be rejected"),
        Err(diagnostics) => diagnostics.to_string(),
    }
}

fn compiles(text: &str) {
    if let Err(diagnostics) = compile(&Source::inline("m.json", text.to_owned()), &Options::default()) {
        panic!("{text} should compile:\n{diagnostics}");
    }
}

#[test]
fn a_literal_pattern_that_is_not_i_regexp_is_a_build_error_at_the_call() {
    let message = rejected(&mapper(r"$.a[?match(@.b, 'a(b')].c", false));
    assert!(message.contains("invalid regular expression"), "{message}");
    assert!(message.contains("unclosed group"), "{message}");
    // The span starts at `match(` inside the path on line 5.
    assert!(message.contains("m.json:5:26"), "{message}");
    let message = rejected(&mapper(r"$.a[?search(@.b, '\\d+')].c", false));
    assert!(message.contains("not an I-Regexp escape"), "{message}");
}

#[test]
fn patterns_read_from_the_payload_and_valid_literals_compile() {
    compiles(&mapper(r"$.a[?match(@.b, $.pattern)].c", false));
    compiles(&mapper(r"$.a[?match(@.b, '[A-Z]\\p{Ll}*')].c", false));
}

#[test]
fn descendants_and_unions_cannot_be_part_of_a_batching_chain() {
    let message = rejected(&mapper("$..orders[*].id", true));
    assert!(message.contains("goes through `..` or a union"), "{message}");
    // As a first match they are fine.
    compiles(&mapper("$..orders[0].id", false));
    compiles(&mapper("$['a','b'].id", false));
}

#[test]
fn every_kind_of_path_compiles_in_both_kinds_of_mapper() {
    // Iterating paths: a batching mapper makes its records from them.
    for path in [
        "$.a[?@.b == 'x'].c",
        "$.a[1:3].c",
        "$.a[::-1]",
        "$.a[?@.b > $.min].c",
        "$.a[?count(@..x) > 1 && !(@.y || @.z)]",
        "$.a[?value(@..v) == length(@.w)]",
    ] {
        compiles(&mapper(path, false));
        compiles(&mapper(path, true));
    }
    // Paths that only select: first matches, so nothing for a batching mapper to iterate.
    for path in ["$..c", "$[0, -1, 'k', 1:2, ?@]"] {
        compiles(&mapper(path, false));
        assert!(rejected(&mapper(path, true)).contains("nothing to iterate"));
    }
}

fn generated(text: &str) -> String {
    match compile(&Source::inline("m.json", text.to_owned()), &Options::default()) {
        Ok(output) => hookmap_compiler::format(&output.tokens),
        Err(diagnostics) => panic!("{text} should compile:\n{diagnostics}"),
    }
}

#[test]
fn a_chain_filter_on_members_reads_each_element_once() {
    // The compared member is a field of the element's struct; no element is parsed as a tree.
    let code = generated(&mapper("$.orders[?@.status == 'paid' && @.total > 10].id", true));
    assert!(code.contains("status: ::hookmap::__private::Present<'de>"), "{code}");
    assert!(code.contains("operand_tree("), "{code}");
    assert!(!code.contains("::tree("), "{code}");
    // A slice needs no tree either.
    assert!(!generated(&mapper("$.orders[1:].id", true)).contains("::tree("));
    // `@` itself, `$`, or a member that is also looked into: the element is parsed for the filter.
    for path in ["$.orders[?@ != 1].id", "$.orders[?@.total > $.min].id", "$.orders[?@.a && @.a.b].id"] {
        assert!(generated(&mapper(path, true)).contains("::tree("), "{path}");
    }
}
