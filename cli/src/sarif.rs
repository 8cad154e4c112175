//! `hookmap check --format sarif`: the diagnostics as a SARIF 2.1.0 log, the format code-scanning
//! tools (GitHub code scanning, IDE SARIF viewers) read.

use hookmap_compiler::Diagnostics;
use serde_json::{Value, json};

/// The one rule: every mapper diagnostic is an error that stops the build.
const RULE: &str = "hookmap/mapper";

/// The SARIF log of every file's diagnostics.
pub fn log(files: &[Diagnostics]) -> Value {
    let results: Vec<Value> = files.iter().flat_map(results).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "hookmap",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://docs.rs/hookmap",
                "rules": [{
                    "id": RULE,
                    "name": "MapperError",
                    "shortDescription": {"text": "A mapper the build would reject"},
                    "fullDescription": {"text": "The mapper file has an error that makes the hookmap build (mapper! or the Builder) fail: a bad JSONPath, date pattern, key, value or a sample payload it cannot read."},
                    "defaultConfiguration": {"level": "error"}
                }]
            }},
            "results": results
        }]
    })
}

fn results(file: &Diagnostics) -> Vec<Value> {
    file.list
        .iter()
        .map(|d| {
            // The message as people read it: the error, then its help and notes.
            let mut text = d.message.clone();
            if let Some(label) = &d.label {
                text.push_str(&format!(" ({label})"));
            }
            for help in &d.help {
                text.push_str(&format!("\nhelp: {help}"));
            }
            for note in &d.notes {
                text.push_str(&format!("\nnote: {note}"));
            }
            let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": file.source.name}}});
            if let Some(span) = &d.span {
                let (line, column) = file.source.line_col(span.start);
                let (end_line, end_column) = file.source.line_col(span.end);
                location["physicalLocation"]["region"] = json!({
                    "startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column
                });
            }
            json!({"ruleId": RULE, "ruleIndex": 0, "level": "error", "message": {"text": text}, "locations": [location]})
        })
        .collect()
}
