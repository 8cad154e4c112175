//! `hookmap diff`: what changes between two versions of a mapper, read from their plans (the
//! compiler's own reading of each file), and with samples, what changes in the records.

use std::path::PathBuf;
use std::process::ExitCode;

use hookmap_compiler::golden;
use hookmap_compiler::ir::{Input, Iteration, Plan, TimeInput};
use hookmap_compiler::model::{JsonType, Literal, MappingType, Platform};

/// Prints the differences; 0 when there are none, 1 when there are, 2 when a file cannot be read
/// or a mapper has errors.
pub fn diff(old: &Plan, new: &Plan, samples: &[PathBuf]) -> ExitCode {
    let mut report = String::new();
    let changes = changes(&facts(old), &facts(new));
    for change in &changes {
        report.push_str(change);
        report.push('\n');
    }
    let mut differs = !changes.is_empty();
    for path in samples {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        let before = golden::pretty(&golden::output(&hookmap_compiler::evaluate::evaluate(old, &bytes)));
        let after = golden::pretty(&golden::output(&hookmap_compiler::evaluate::evaluate(new, &bytes)));
        if before == after {
            report.push_str(&format!("sample {}: same records\n", path.display()));
        } else {
            differs = true;
            report.push_str(&format!("sample {}: the records differ\n", path.display()));
            report.push_str(&golden::diff(&before, &after, "old", "new"));
        }
    }
    if !differs {
        report.push_str("no differences\n");
    }
    let printed = crate::print_out(report.trim_end_matches('\n'));
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    if differs { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// What a mapper says, key by key, in a stable order: `("attr.form", "$.form.name")`.
fn facts(plan: &Plan) -> Vec<(String, String)> {
    let mut facts: Vec<(String, String)> = Vec::new();
    let mut put = |key: &str, value: String| facts.push((key.to_owned(), value));
    put("partner_name", plan.partner_name.clone());
    put("config_name", plan.config_name.clone());
    let events = plan.mapping_type == MappingType::Events;
    put("mapping_type", if events { "events" } else { "users" }.to_owned());
    let levels: Vec<String> = plan
        .scopes
        .iter()
        .filter(|s| s.array.is_some())
        .map(|s| match &s.iteration {
            Iteration::All | Iteration::Filter { .. } => s.array_path.clone(),
            Iteration::Slice { .. } => format!("{} (a slice)", s.array_path),
        })
        .collect();
    put("batching", if levels.is_empty() { "off".to_owned() } else { levels.join(", then ") });
    let r = &plan.record;
    for (key, input) in
        [("customer_id", &r.customer_id), ("anon_id", &r.anon_id), ("event_name", &r.event_name)]
    {
        if let Some(input) = input {
            put(key, text(input));
        }
    }
    if let Some(time) = &r.user_time {
        put(
            "user_time",
            match &time.source {
                TimeInput::Read { path, .. } => path.clone(),
                TimeInput::Merge { date, time } => format!("#MERGE of {} and {}", date.1, time.1),
            },
        );
        if !time.formats_text.is_empty() {
            put("formats.user_time", time.formats_text.clone());
        }
        if let Some(zone) = &time.timezone {
            put("timezone", zone.clone());
        }
    }
    if events {
        let platform = match r.platform {
            Platform::Web => "web",
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Api => "api",
        };
        put("platform", platform.to_owned());
        put("app_version", text(&r.app_version));
    }
    if let Some(only) = r.update_existing_only {
        put("update_existing_only", only.to_string());
    }
    let mut sets = vec![("user_attributes", &r.user_attributes)];
    if events {
        sets.insert(0, ("attr", &r.attr));
    }
    for (name, attributes) in sets {
        for (key, input) in &attributes.entries {
            put(&format!("{name}.{key}"), text(input));
        }
        if let Some((_, path)) = &attributes.create_all {
            put(&format!("{name}.create_all"), path.clone());
        }
    }
    for check in &plan.validations {
        let ty = match check.ty {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
        };
        put(&format!("payload_validations.{}", check.path), ty.to_owned());
    }
    facts
}

/// A field's source as the mapper writes it: a path, or a JSON literal.
fn text(input: &Input) -> String {
    match input {
        Input::Read { path, .. } => path.clone(),
        Input::Literal(Literal::String(s)) => serde_json::to_string(s).unwrap_or_default(),
        Input::Literal(Literal::Number(n)) => n.clone(),
        Input::Literal(Literal::Bool(b)) => b.to_string(),
    }
}

/// One line per change: `+` added, `-` removed, `~` changed (paths: moved; attribute keys that
/// kept their source: renamed).
fn changes(old: &[(String, String)], new: &[(String, String)]) -> Vec<String> {
    let find =
        |list: &[(String, String)], key: &str| list.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let mut removed: Vec<&(String, String)> = old.iter().filter(|(k, _)| find(new, k).is_none()).collect();
    let mut added: Vec<&(String, String)> = new.iter().filter(|(k, _)| find(old, k).is_none()).collect();
    let mut lines = Vec::new();
    for (key, before) in old {
        if let Some(after) = find(new, key)
            && after != *before
        {
            let what = if before.starts_with('$') && after.starts_with('$') { "moved" } else { "changed" };
            lines.push(format!("~ {key}: {before} -> {after} ({what})"));
        }
    }
    // An attribute under a new key with the same source was renamed.
    removed.retain(|(key, value)| {
        let Some(at) = added.iter().position(|(k, v)| v == value && same_set(k, key)) else { return true };
        lines.push(format!("~ {key} -> {}: {value} (renamed)", added[at].0));
        added.remove(at);
        false
    });
    lines.extend(removed.iter().map(|(k, v)| format!("- {k}: {v}")));
    lines.extend(added.iter().map(|(k, v)| format!("+ {k}: {v}")));
    lines
}

/// Whether two keys are attributes of the same set (`attr.a` and `attr.b`).
fn same_set(a: &str, b: &str) -> bool {
    let set = |k: &str| k.split_once('.').map(|(s, _)| s.to_owned());
    matches!((set(a), set(b)), (Some(x), Some(y)) if x == y && (x == "attr" || x == "user_attributes"))
}
