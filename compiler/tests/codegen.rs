//! Snapshots of the generated code of every conformance mapper, formatted with prettyplease, so
//! a change in what the compiler emits is reviewed as a diff. Rejected mappers snapshot their
//! diagnostics instead.

use std::path::Path;

use hookmap_compiler::{Options, Source, compile, format};

#[test]
fn generated_code_of_conformance_mappers() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/cases");
    let mut names: Vec<String> = std::fs::read_dir(&cases)
        .expect("the conformance suite is beside the repository")
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in names {
        let file = format!("conformance/cases/{name}/mapper.json");
        let text = std::fs::read_to_string(cases.join(&name).join("mapper.json")).expect("read mapper");
        let source = Source::inline(file, text);
        let options = Options {
            type_name: Some(hookmap_compiler::generate::camel_case(&name)),
            config_name: Some(name.clone()),
            ..Options::default()
        };
        let snapshot = match compile(&source, &options) {
            Ok(output) => {
                let code = format(&output.tokens);
                // The mapper's own name (in its doc comment and config name) may say "jsonpath".
                let offending = code.lines().find(|line| line.replace(&name, "").contains("jsonpath"));
                assert_eq!(offending, None, "{name}: generated code must not parse JSONPath");
                code
            }
            Err(diagnostics) => format!("rejected:\n{diagnostics}"),
        };
        insta::assert_snapshot!(name, snapshot);
    }
}
