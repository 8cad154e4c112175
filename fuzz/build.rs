//! Compiles the example mappers and every conformance mapper the compiler accepts, for the
//! `map_payload` target.

use std::path::Path;

const CASES: &str = "../../shared/conformance/cases";

fn main() {
    let mut builder = hookmap_compiler::Builder::new();
    builder.mappers_in("../examples/mappers");
    if let Ok(entries) = std::fs::read_dir(CASES) {
        let mut cases: Vec<String> =
            entries.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned())).collect();
        cases.sort();
        // The seed cases are the examples again, under the same type and config names.
        for case in cases.into_iter().filter(|c| !c.starts_with("seed-")) {
            let path = format!("{CASES}/{case}/mapper.json");
            if Path::new(&path).is_file()
                && hookmap_compiler::Builder::new().mapper_as(&path, &case).generate().is_ok()
            {
                builder.mapper_as(path, case);
            }
        }
    }
    if let Err(e) = builder.compile() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
