//! Compiles the workloads' mappers with hookmap's `Builder`, as a user's build script would: the
//! seven seeds of `examples/mappers` and the bench's own `mappers/`. A mapper the compiler
//! rejects (filters, until they compile) is recorded with its message in `REJECTED` instead of
//! failing the build, so the bench reports `generated=-` for that workload.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const DIRS: [&str; 2] = ["../examples/mappers", "mappers"];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let mut builder = hookmap_compiler::Builder::new();
    let mut rejected = String::from("/// Workload mappers the compiler rejected: (name, diagnostics).\n");
    rejected.push_str("pub static REJECTED: &[(&str, &str)] = &[\n");
    for dir in DIRS {
        println!("cargo:rerun-if-changed={dir}");
        for path in json_files(&manifest.join(dir)) {
            let relative = Path::new(dir).join(path.file_name().expect("a file"));
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 file name").to_owned();
            match hookmap_compiler::Builder::new().mapper(&relative).generate() {
                Ok(_) => {
                    builder.mapper(&relative);
                }
                Err(e) => {
                    writeln!(rejected, "    ({stem:?}, {:?}),", e.to_string()).expect("write to String")
                }
            }
        }
    }
    rejected.push_str("];\n");
    if let Err(e) = builder.compile() {
        panic!("compiling the workload mappers failed:\n{e}");
    }
    std::fs::write(out.join("rejected.rs"), rejected).expect("write OUT_DIR/rejected.rs");
    println!("cargo:rerun-if-changed=build.rs");
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}
