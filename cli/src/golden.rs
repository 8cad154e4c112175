//! `hookmap test`: the golden cases of every mapper of a project (see
//! `hookmap_compiler::golden` for the convention), run with the evaluator.

use std::path::Path;
use std::process::ExitCode;

use hookmap_compiler::golden::{self, Outcome};

/// Runs every case of every `DIR/mappers/*.json`; `bless` writes the outputs that differ or are
/// missing. 0 when all pass (or were blessed), 1 when a case fails or a mapper has errors, 2 when
/// the project cannot be read.
pub fn test(dir: &Path, bless: bool, color: bool) -> ExitCode {
    let mappers_dir = dir.join("mappers");
    let mut mappers: Vec<_> = match std::fs::read_dir(&mappers_dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect(),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", mappers_dir.display());
            return ExitCode::from(2);
        }
    };
    mappers.sort();
    let (mut passed, mut failed, mut blessed) = (0, 0, 0);
    let mut report = String::new();
    for mapper in &mappers {
        let name = mapper.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let plan = match crate::plan_of(mapper, color) {
            Ok(plan) => plan,
            Err(_) => {
                report.push_str(&format!("FAIL  {name}: the mapper has errors (above)\n"));
                failed += 1;
                continue;
            }
        };
        let cases_dir = dir.join("tests").join(&name);
        let cases = match golden::cases(&cases_dir) {
            Ok(cases) if !cases.is_empty() => cases,
            _ => {
                report.push_str(&format!("note  {name}: no cases in {}\n", cases_dir.display()));
                continue;
            }
        };
        let map = |payload: &[u8]| golden::output(&hookmap_compiler::evaluate::evaluate(&plan, payload));
        for case in &cases {
            let label = format!("{name}/{}", case.name());
            match golden::run(case, &map) {
                Outcome::Pass => {
                    passed += 1;
                    report.push_str(&format!("ok    {label}\n"));
                }
                Outcome::Fail { actual, .. } | Outcome::Missing { actual } if bless => {
                    if let Err(e) = std::fs::write(&case.expected, actual) {
                        eprintln!("error: cannot write {}: {e}", case.expected.display());
                        return ExitCode::from(2);
                    }
                    blessed += 1;
                    report.push_str(&format!("bless {label} -> {}\n", case.expected.display()));
                }
                Outcome::Fail { diff, .. } => {
                    failed += 1;
                    report.push_str(&format!("FAIL  {label}: the output differs\n{diff}"));
                }
                Outcome::Missing { actual } => {
                    failed += 1;
                    report.push_str(&format!(
                        "FAIL  {label}: no {} yet; this is the output (`hookmap test --bless` writes it):\n{actual}",
                        case.expected.display()
                    ));
                }
                Outcome::Broken { reason } => {
                    failed += 1;
                    report.push_str(&format!("FAIL  {label}: {reason}\n"));
                }
            }
        }
    }
    report.push_str(&format!("test: {passed} passed, {failed} failed, {blessed} blessed"));
    let printed = crate::print_out(&report);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
