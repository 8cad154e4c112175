//! The front end against the shared conformance suite: every `reject/` mapper fails with an
//! error on an expected line naming the expected words, every `cases/` mapper parses.

use std::path::Path;

use hookmap_compiler::{Diagnostics, Source, frontend};

const REJECT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/reject");
const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/cases");

/// The mapper at `path`, named `reject/<file>` so snapshots do not depend on the checkout.
fn load(path: &Path) -> Source {
    let text = std::fs::read_to_string(path).expect("readable mapper");
    let name = path.file_name().and_then(|n| n.to_str()).expect("a file name");
    Source::inline(format!("reject/{name}"), text)
}

fn rejected(source: &Source) -> Diagnostics {
    match frontend::parse(source) {
        Ok(mapper) => panic!("{} was accepted: {mapper:#?}", source.name),
        Err(list) => Diagnostics::new(source, list),
    }
}

#[test]
fn reject_files_fail_where_and_how_expected() {
    let expectations: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(REJECT).join("expectations.json")).expect("expectations.json"),
    )
    .expect("valid expectations");
    let expectations = expectations.as_object().expect("an object");
    assert!(expectations.len() >= 16, "the suite shrank: {}", expectations.len());
    let mut failures = Vec::new();
    for (file, expected) in expectations {
        let lines: Vec<usize> = expected["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| l.as_u64().expect("a line number") as usize)
            .collect();
        let words: Vec<&str> = expected["contains"]
            .as_array()
            .expect("contains")
            .iter()
            .map(|w| w.as_str().expect("a word"))
            .collect();
        let diagnostics = rejected(&load(&Path::new(REJECT).join(file)));
        let found = diagnostics.list.iter().zip(diagnostics.positions()).any(|(d, position)| {
            let text = format!("{} {} {}", d.message, d.label.as_deref().unwrap_or(""), d.help.join(" "));
            position.is_some_and(|(line, _)| lines.contains(&line)) && words.iter().all(|w| text.contains(w))
        });
        if !found {
            failures.push(format!("{file}: want line {lines:?} with {words:?}, got:\n{diagnostics}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reject_files_render_like_rustc() {
    insta::glob!("../../../shared/conformance/reject", "*.json", |path| {
        if path.ends_with("expectations.json") {
            return;
        }
        let diagnostics = rejected(&load(path));
        insta::assert_snapshot!(diagnostics.to_string());
    });
}

#[test]
fn conformance_mappers_parse() {
    let mut failures = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(CASES).expect("cases directory") {
        let dir = entry.expect("entry").path();
        let Some(name) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else { continue };
        let file = dir.join("mapper.json");
        if !file.exists() {
            continue;
        }
        seen += 1;
        let source =
            Source::inline(format!("cases/{name}/mapper.json"), std::fs::read_to_string(&file).unwrap());
        match frontend::parse(&source) {
            Ok(mapper) => assert!(!mapper.partner_name.value.is_empty()),
            Err(list) => failures.push(Diagnostics::new(&source, list).to_string()),
        }
    }
    assert!(seen >= 18, "only {seen} cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
