//! `hookmap run`: maps payloads with a mapper, through the evaluator, and prints the output.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use hookmap_compiler::ir::Plan;

/// Prints, for each payload in order, its records JSON array or its error JSON (`{"error":
/// ...}`, the e_9004 body the gateway answers): one line each, or indented with `pretty`.
/// `-` is standard input. 0 when every payload mapped, 1 when one was refused, 2 when a payload
/// could not be read.
pub fn run(plan: &Plan, payloads: &[PathBuf], pretty: bool) -> ExitCode {
    let mut refused = false;
    let mut out = String::new();
    for path in payloads {
        let bytes = if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin().read_to_end(&mut bytes).map(|_| bytes)
        } else {
            std::fs::read(path)
        };
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        let result = hookmap_compiler::evaluate::evaluate(plan, &bytes);
        refused |= result.is_err();
        // Serialized as the gateway does, members in the records' own order.
        let text = match (&result, pretty) {
            (Ok(records), false) => serde_json::to_string(records),
            (Ok(records), true) => serde_json::to_string_pretty(records),
            (Err(error), false) => serde_json::to_string(error),
            (Err(error), true) => serde_json::to_string_pretty(error),
        };
        out.push_str(&text.unwrap_or_default());
        out.push('\n');
    }
    let printed = crate::print_out(out.trim_end_matches('\n'));
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    if refused { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
