//! `hookmap scaffold`: a first mapper for sample payloads, checked against them before it is
//! printed.

use std::path::PathBuf;
use std::process::ExitCode;

use hookmap_compiler::{Options, Source};

/// Prints the proposed mapper on standard output and the reason of each choice on standard
/// error. 0 when the proposal passes `hookmap check` with the payloads as samples; 1 when no
/// mapper could be proposed (or, which the tests rule out, it does not pass); 2 when a payload
/// cannot be read.
pub fn scaffold(payloads: &[PathBuf], users: bool, partner: Option<&str>) -> ExitCode {
    let mut samples = Vec::new();
    for path in payloads {
        match crate::read(path) {
            Ok(sample) => samples.push(sample),
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
        }
    }
    let partner = partner.map_or_else(|| partner_name(&payloads[0]), str::to_owned);
    let proposal = match hookmap_compiler::scaffold::scaffold(&samples, users, &partner) {
        Ok(proposal) => proposal,
        Err(why) => {
            eprintln!("error: cannot propose a mapper: {why}");
            return ExitCode::FAILURE;
        }
    };
    for reason in &proposal.reasons {
        eprintln!("scaffold: {reason}");
    }
    let source = Source::inline(format!("{partner}.json"), proposal.mapper.clone());
    let options = Options { samples, ..Options::default() };
    if let Err(diagnostics) = hookmap_compiler::compile(&source, &options) {
        eprintln!("error: the proposed mapper does not pass its samples; please report this:\n{diagnostics}");
        eprintln!("{}", proposal.mapper);
        return ExitCode::FAILURE;
    }
    crate::print_out(proposal.mapper.trim_end())
}

/// A `partner_name` from a file name: lowercase, other characters as `_`, starting with a letter.
fn partner_name(path: &std::path::Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' { c } else { '_' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_lowercase()) { name } else { format!("p_{name}") }
}
