//! Payload bytes into every compiled example and conformance mapper: records or one whole
//! error, never a panic; both serialize to JSON; and the compiler's evaluator (`hookmap run`,
//! `hookmap test`) gives the very same JSON. The first byte picks the mapper.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use hookmap::Mapper;
use hookmap_compiler::ir::Plan;
use libfuzzer_sys::fuzz_target;

hookmap::include_mappers!();

/// Each compiled mapper with its plan, read from the same files `build.rs` compiled.
static PAIRS: LazyLock<Vec<(&'static dyn Mapper, Plan)>> = LazyLock::new(|| {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(root.join("../examples/mappers")).expect("examples").flatten() {
        let stem = entry.path().file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        files.push((stem, entry.path()));
    }
    // As in build.rs: the seed cases are the examples again.
    for entry in std::fs::read_dir(root.join("../../shared/conformance/cases")).expect("cases").flatten() {
        if entry.file_name().to_string_lossy().starts_with("seed-") {
            continue;
        }
        files.push((entry.file_name().to_string_lossy().into_owned(), entry.path().join("mapper.json")));
    }
    let mut pairs = Vec::new();
    for (name, path) in files {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let source = hookmap_compiler::Source::inline(path.display().to_string(), text);
        let options = hookmap_compiler::Options { config_name: Some(name), ..Default::default() };
        let Ok(plan) = hookmap_compiler::plan(&source, &options) else { continue };
        if let Some(mapper) = MAPPERS.iter().find(|m| m.info().config_name == plan.config_name) {
            pairs.push((*mapper, plan));
        }
    }
    assert_eq!(pairs.len(), MAPPERS.len(), "every compiled mapper has its plan");
    pairs
});

fn json(result: Result<Vec<hookmap::Record<'_>>, hookmap::MapError>) -> String {
    match result {
        Ok(records) => serde_json::to_string(&records).expect("records serialize"),
        Err(error) => {
            assert!(!error.details().is_empty(), "an error names at least one problem");
            serde_json::to_string(&error).expect("errors serialize")
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else { return };
    let (mapper, plan) = &PAIRS[usize::from(pick) % PAIRS.len()];
    let compiled = json(mapper.map(payload));
    serde_json::from_str::<serde::de::IgnoredAny>(&compiled).expect("the output is JSON");
    let evaluated = json(hookmap_compiler::evaluate::evaluate(plan, payload));
    assert_eq!(compiled, evaluated, "the evaluator and the compiled mapper disagree");
});
