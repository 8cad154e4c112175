//! The JSONPath Compliance Test Suite (`../shared/jsonpath-cts/cts.json`), run on generated
//! code: `tests/build.rs` compiles every valid selector into a nodelist function at build time;
//! here each runs on its case's document and must give the expected nodelist (or one of the
//! allowed ones), in order. Every invalid selector must have been rejected by the compiler.
//! The compiler's evaluator runs every valid selector too and must select the very same nodes
//! as the generated code.
//!
//! A plain binary (`harness = false`), so its summary line is printed on every run:
//! `cts: N passed, M failed`.

use hookmap::__private::Json;
use hookmap_tests::CtsCase;
use serde_json::Value;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/jsonpath_cts.rs"));
}

/// `Err` says how a case failed.
fn check(case: &CtsCase) -> Result<(), String> {
    match (case.invalid, case.compiled, case.run) {
        (true, false, _) => return Ok(()),
        (true, true, _) => return Err("invalid selector was accepted".into()),
        (false, _, None) => return Err("valid selector was rejected".into()),
        (false, _, Some(_)) => {}
    }
    let run = case.run.ok_or("no function")?;
    let document = Json::parse(case.document).ok_or("the document does not parse")?;
    let nodes = run(&document);
    let query =
        hookmap_compiler::jsonpath::parse(case.selector).map_err(|e| format!("parse: {}", e.message))?;
    let evaluated = hookmap_compiler::evaluate::nodelist(&query, &document);
    let same =
        evaluated.len() == nodes.len() && evaluated.iter().zip(&nodes).all(|(a, b)| std::ptr::eq(*a, *b));
    if !same {
        let list = |nodes: &[&Json<'_>]| nodes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
        return Err(format!(
            "the evaluator selected [{}], the generated code [{}]",
            list(&evaluated),
            list(&nodes)
        ));
    }
    let actual: Vec<Value> = nodes
        .iter()
        .map(|node| serde_json::from_str(&node.to_string()).map_err(|e| format!("node {node}: {e}")))
        .collect::<Result<_, _>>()?;
    let allowed: Vec<Vec<Value>> = case
        .results
        .iter()
        .map(|r| serde_json::from_str(r).map_err(|e| format!("expected {r}: {e}")))
        .collect::<Result<_, _>>()?;
    if allowed.contains(&actual) {
        Ok(())
    } else {
        Err(format!("got {}, expected {}", Value::Array(actual), case.results.join(" or ")))
    }
}

fn main() {
    let mut passed = 0;
    let mut failed = 0;
    for case in generated::CTS {
        match check(case) {
            Ok(()) => passed += 1,
            Err(why) => {
                failed += 1;
                eprintln!("{}: {:?}: {why}", case.name, case.selector);
            }
        }
    }
    println!("cts: {passed} passed, {failed} failed");
    if failed > 0 || passed < 700 {
        std::process::exit(1);
    }
}
