//! Compiles every mapper of the conformance suite (`../../shared/conformance/cases`) with the
//! `Builder`, and writes `mapper!` invocations for the same files, so the tests run each case
//! through both entry points. A case the compiler rejects is recorded with its message; the
//! conformance test accepts only a "not supported yet" rejection there.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const CASES: &str = "../../shared/conformance/cases";

fn main() {
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed={CASES}");
    let cases = case_names(&manifest.join(CASES));

    let mut compiled = Vec::new();
    let mut rejected = Vec::new();
    for case in &cases {
        let path = format!("{CASES}/{case}/mapper.json");
        println!("cargo:rerun-if-changed={path}");
        let result =
            hookmap_compiler::Builder::new().mapper_as(&path, case).manifest_dir(&manifest).generate();
        match result {
            Ok(_) => compiled.push(case.clone()),
            Err(e) => rejected.push((case.clone(), e.to_string())),
        }
    }

    let builder_dir = out.join("builder");
    std::fs::create_dir_all(&builder_dir).expect("create OUT_DIR/builder");
    let mut builder = hookmap_compiler::Builder::new();
    builder.manifest_dir(&manifest).out_dir(&builder_dir).emit_rerun_if_changed(false);
    for case in &compiled {
        builder.mapper_as(format!("{CASES}/{case}/mapper.json"), case);
    }
    if let Err(e) = builder.compile() {
        panic!("compiling the conformance mappers failed:\n{e}");
    }

    let mut index = String::new();
    let mut macro_calls = String::new();
    writeln!(index, "/// Conformance cases compiled by the Builder: (case, mapper).").unwrap();
    writeln!(index, "pub static BUILDER_CASES: &[(&str, &dyn ::hookmap::Mapper)] = &[").unwrap();
    writeln!(macro_calls, "/// Conformance cases compiled by `mapper!`: (case, mapper).").unwrap();
    writeln!(macro_calls, "pub static MACRO_CASES: &[(&str, &dyn ::hookmap::Mapper)] = &[").unwrap();
    let mut macro_items = String::new();
    for case in &compiled {
        let ty = hookmap_compiler::generate::camel_case(case);
        writeln!(index, "    ({case:?}, &crate::builder::{ty}),").unwrap();
        writeln!(macro_calls, "    ({case:?}, &{ty}),").unwrap();
        writeln!(macro_items, "::hookmap::mapper!(name = {ty}, path = \"{CASES}/{case}/mapper.json\");")
            .unwrap();
    }
    writeln!(index, "];").unwrap();
    writeln!(macro_calls, "];").unwrap();
    writeln!(index, "/// Conformance cases the compiler rejected: (case, rendered diagnostics).").unwrap();
    writeln!(index, "pub static REJECTED_CASES: &[(&str, &str)] = &[").unwrap();
    for (case, message) in &rejected {
        writeln!(index, "    ({case:?}, {message:?}),").unwrap();
    }
    writeln!(index, "];").unwrap();
    writeln!(index, "/// Every case directory found.").unwrap();
    writeln!(index, "pub const CASE_COUNT: usize = {};", cases.len()).unwrap();
    std::fs::write(out.join("conformance_builder.rs"), index).expect("write index");
    std::fs::write(out.join("conformance_macro.rs"), macro_items + &macro_calls).expect("write macro calls");
}

fn case_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("the conformance suite must be at {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().join("mapper.json").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}
