//! Every mapper of `../shared/conformance/reject` fails to compile through `mapper!` and through
//! the `Builder`, with an error on one of the lines `expectations.json` gives that contains the
//! words it lists. (`hookmap check` is tested the same way in `cli/tests/check.rs`.)
//!
//! The macro is exercised through `hookmap_compiler::__macro::expand`, the function the
//! proc macro calls, so the exact compile errors it would emit are inspected here.

use std::path::Path;

use quote::quote;
use serde_json::Value;

const REJECT: &str = "../../shared/conformance/reject";

struct Expectation {
    file: String,
    lines: Vec<u64>,
    words: Vec<String>,
}

fn expectations() -> Vec<Expectation> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(REJECT);
    let text = std::fs::read_to_string(dir.join("expectations.json")).expect("expectations.json");
    let map: serde_json::Map<String, Value> = serde_json::from_str(&text).expect("valid JSON");
    let list: Vec<Expectation> = map
        .into_iter()
        .map(|(file, e)| Expectation {
            file,
            lines: e["lines"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect(),
            words: e["contains"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|w| w.as_str().map(String::from))
                .collect(),
        })
        .collect();
    let files = std::fs::read_dir(&dir).expect("reject dir").filter_map(Result::ok).count();
    assert_eq!(list.len() + 1, files, "every reject file has an expectation");
    list
}

/// Whether one of the rendered errors points at an expected line and has every expected word.
fn matches(rendered: &[String], file: &str, expectation: &Expectation) -> bool {
    rendered.iter().any(|text| {
        let on_line = expectation.lines.iter().any(|line| text.contains(&format!("{file}:{line}:")));
        on_line && expectation.words.iter().all(|w| text.contains(w.as_str()))
    })
}

#[test]
fn the_builder_rejects_every_reject_mapper() {
    for expectation in expectations() {
        let path = format!("{REJECT}/{}", expectation.file);
        let error = hookmap_compiler::Builder::new()
            .mapper(&path)
            .manifest_dir(env!("CARGO_MANIFEST_DIR"))
            .generate()
            .expect_err(&expectation.file);
        let rendered = vec![error.to_string()];
        assert!(matches(&rendered, &path, &expectation), "{}:\n{}", expectation.file, rendered[0]);
    }
}

#[test]
fn mapper_macro_rejects_every_reject_mapper() {
    for expectation in expectations() {
        let path = format!("{REJECT}/{}", expectation.file);
        let tokens = hookmap_compiler::__macro::expand(quote!(#path));
        // Each mapper error becomes one `compile_error!("…")`; collect their messages.
        let file = syn::parse2::<syn::File>(tokens).expect("the expansion parses");
        let messages: Vec<String> = file
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Macro(m)
                    if m.mac.path.is_ident("compile_error")
                        || m.mac.path.segments.last().is_some_and(|s| s.ident == "compile_error") =>
                {
                    syn::parse2::<syn::LitStr>(m.mac.tokens.clone()).ok().map(|l| l.value())
                }
                _ => None,
            })
            .collect();
        assert!(!messages.is_empty(), "{}: no compile_error!", expectation.file);
        assert!(matches(&messages, &path, &expectation), "{}:\n{}", expectation.file, messages.join("\n"));
        // The skeleton is still there, so uses of the type don't add errors of their own.
        assert!(
            file.items.iter().any(|i| matches!(i, syn::Item::Struct(_))),
            "{}: no skeleton",
            expectation.file
        );
    }
}
