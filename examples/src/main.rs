//! Maps each seed example payload through its mapper, compiled by the build script, and prints
//! the records JSON (or the error body).
//!
//! `cargo run -p hookmap-examples` runs all of them; `cargo run -p hookmap-examples -- NAME`
//! runs one (NAME as in `mappers/NAME.json`). A payload file can be given as a second argument.

use std::process::ExitCode;

hookmap::include_mappers!();

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let selected: Vec<&dyn hookmap::Mapper> = match args.first() {
        Some(name) => match MAPPERS.iter().find(|m| m.info().config_name == name) {
            Some(m) => vec![*m],
            None => {
                let names: Vec<_> = MAPPERS.iter().map(|m| m.info().config_name).collect();
                eprintln!("no mapper named {name:?}; there are: {}", names.join(", "));
                return ExitCode::FAILURE;
            }
        },
        None => MAPPERS.to_vec(),
    };
    let mut failed = false;
    for mapper in selected {
        let name = mapper.info().config_name;
        let path = match args.get(1) {
            Some(p) => p.clone(),
            None => format!("{}/payloads/{name}.json", env!("CARGO_MANIFEST_DIR")),
        };
        let payload = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("# {name} ({} {})", mapper.info().partner_name, mapper.info().mapping_type.as_str());
        let json = match mapper.map(&payload) {
            Ok(records) => serde_json::to_string_pretty(&records),
            Err(error) => {
                failed = true;
                serde_json::to_string_pretty(&error)
            }
        };
        match json {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("cannot print: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
