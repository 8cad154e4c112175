//! The mapper conformance suite (`../shared/conformance/cases`), every case through the
//! `Builder` and through `mapper!`.
//!
//! A plain binary (`harness = false`), so its summary line is printed on every run:
//! `conformance: N passed, M failed`.

mod builder {
    include!(concat!(env!("OUT_DIR"), "/builder/all_mappers.rs"));
}
mod cases {
    include!(concat!(env!("OUT_DIR"), "/conformance_builder.rs"));
}
mod macros {
    include!(concat!(env!("OUT_DIR"), "/conformance_macro.rs"));
}

use hookmap_tests::{check, exchanges};

fn run(label: &str, cases: &[(&str, &dyn hookmap::Mapper)]) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for (case, mapper) in cases {
        match exchanges(case) {
            Ok(list) => {
                for exchange in &list {
                    match check(*mapper, exchange) {
                        Ok(()) => passed += 1,
                        Err(why) => failures.push(format!("[{label}] {case}: {why}")),
                    }
                }
            }
            Err(why) => failures.push(format!("[{label}] {case}: {why}")),
        }
    }
    (passed, failures)
}

fn main() {
    // The compiler reads every construct of the format (JSONPath included), so every case must
    // compile.
    let wrongly_rejected: Vec<String> = cases::REJECTED_CASES
        .iter()
        .map(|(case, message)| format!("{case} was rejected:\n{message}"))
        .collect();
    // Counted now, not when the build script ran, so a case added since cannot go unnoticed.
    let on_disk = std::fs::read_dir(hookmap_tests::cases_dir())
        .map(|dir| dir.filter_map(Result::ok).filter(|e| e.path().join("mapper.json").is_file()).count())
        .unwrap_or(0);
    assert_eq!(
        cases::BUILDER_CASES.len() + cases::REJECTED_CASES.len(),
        on_disk,
        "every case is compiled or rejected"
    );
    for (case, _) in cases::BUILDER_CASES {
        assert!(
            builder::MAPPERS.iter().any(|m| m.info().config_name == *case),
            "{case} is in the Builder's MAPPERS"
        );
    }

    let (builder_passed, mut failures) = run("builder", cases::BUILDER_CASES);
    let (macro_passed, macro_failures) = run("macro", macros::MACRO_CASES);
    failures.extend(macro_failures);
    failures.extend(wrongly_rejected);
    for failure in &failures {
        eprintln!("{failure}");
    }
    println!("conformance: {} passed, {} failed", builder_passed + macro_passed, failures.len());
    if !failures.is_empty() {
        std::process::exit(1);
    }
}
