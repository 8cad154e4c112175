//! `hookmap check` and `hookmap expand`, run as a team's CI would run them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn hookmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hookmap")).args(args).output().expect("runs hookmap")
}

fn shared(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance").join(dir)
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_conformance_mapper_checks_clean() {
    let mut mappers: Vec<String> = std::fs::read_dir(shared("cases"))
        .expect("cases")
        .filter_map(Result::ok)
        .map(|e| e.path().join("mapper.json").to_string_lossy().into_owned())
        .collect();
    mappers.sort();
    for mapper in &mappers {
        let out = hookmap(&["check", mapper]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // A construct the compiler does not compile yet is refused as such, never mapped wrongly.
        if stderr.contains("not supported yet") {
            assert_eq!(out.status.code(), Some(1));
            continue;
        }
        assert!(out.status.success(), "{mapper}:\n{stderr}");
    }
}

#[test]
fn every_reject_mapper_fails_at_the_expected_line() {
    let text = std::fs::read_to_string(shared("reject").join("expectations.json")).expect("expectations");
    let expectations: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).expect("JSON");
    for (file, e) in expectations {
        let path = shared("reject").join(&file).to_string_lossy().into_owned();
        let out = hookmap(&["check", &path]);
        assert_eq!(out.status.code(), Some(1), "{file}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<u64> =
            e["lines"].as_array().into_iter().flatten().filter_map(|l| l.as_u64()).collect();
        assert!(lines.iter().any(|l| stderr.contains(&format!("{path}:{l}:"))), "{file}:\n{stderr}");
        for word in e["contains"].as_array().into_iter().flatten().filter_map(|w| w.as_str()) {
            assert!(stderr.contains(word), "{file}: no {word:?} in\n{stderr}");
        }

        // The same diagnostics as JSON, for other tools.
        let out = hookmap(&["check", "--format", "json", &path]);
        assert_eq!(out.status.code(), Some(1));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
        let items = json.as_array().expect("an array");
        assert!(items.iter().any(|d| lines.contains(&d["line"].as_u64().unwrap_or(0))), "{file}: {json}");
    }
}

#[test]
fn samples_catch_path_typos_with_a_did_you_mean() {
    let mapper = fixture("lead_form.json");
    // Without samples the mapper is fine: `$.emial` may exist in some payload.
    let out = hookmap(&["check", &mapper]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = hookmap(&["check", "--sample", &fixture("lead_sample.json"), &mapper]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`$.emial` matches nothing in the sample payloads"), "{stderr}");
    assert!(stderr.contains("did you mean `email`?"), "{stderr}");
    assert!(stderr.contains("lead_form.json:5:"), "{stderr}");
}

#[test]
fn samples_catch_values_the_mapper_cannot_read() {
    let mapper = fixture("lead_form.json");
    let out = hookmap(&["check", "--sample", &fixture("lead_sample_bad_time.json"), &mapper]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has the time \"25/10/2024\", which matches none of its formats"), "{stderr}");
    assert!(stderr.contains("fails payload_validations"), "{stderr}");
    assert!(stderr.contains("lead_sample_bad_time.json"), "{stderr}");
}

#[test]
fn expand_prints_the_generated_code() {
    let out = hookmap(&["expand", &shared("cases").join("seed-1-simple-form/mapper.json").to_string_lossy()]);
    assert!(out.status.success());
    let code = String::from_utf8_lossy(&out.stdout);
    assert!(code.contains("impl ::hookmap::__private::Mapper for Mapper"), "{code}");
    assert!(code.contains("\"submitted_at\" =>"), "{code}");
}

#[test]
fn expand_into_a_closed_pipe_ends_quietly() {
    use std::io::Read as _;
    let mapper = format!("{}/../examples/mappers/seed_2_bulk_orders.json", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookmap"))
        .args(["expand", &mapper])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs hookmap");
    // Close the pipe before hookmap writes (compiling takes longer than this), as a reader that
    // stops early does: its writes then fail with a broken pipe.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.success(), "{status:?}: {stderr}");
}

#[test]
fn sarif_output_locates_every_diagnostic_the_json_output_has() {
    let text = std::fs::read_to_string(shared("reject").join("expectations.json")).expect("expectations");
    let expectations: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).expect("JSON");
    let mut files: Vec<String> =
        expectations.keys().map(|f| shared("reject").join(f).to_string_lossy().into_owned()).collect();
    files.sort();
    let mut args = vec!["check", "--format", "sarif"];
    args.extend(files.iter().map(String::as_str));
    let out = hookmap(&args);
    assert_eq!(out.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "hookmap");
    let rule = run["tool"]["driver"]["rules"][0]["id"].as_str().expect("a rule");
    let results = run["results"].as_array().expect("results");

    // The same diagnostics as --format json, at the same places.
    let mut args = vec!["check", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let json: serde_json::Value = serde_json::from_slice(&hookmap(&args).stdout).expect("JSON");
    let json = json.as_array().expect("an array");
    assert_eq!(results.len(), json.len());
    for (result, diagnostic) in results.iter().zip(json) {
        assert_eq!(result["ruleId"], rule);
        assert_eq!(result["level"], "error");
        let text = result["message"]["text"].as_str().unwrap();
        assert!(text.starts_with(diagnostic["message"].as_str().unwrap()), "{text}");
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], diagnostic["file"]);
        if diagnostic["line"].is_null() {
            assert!(location["region"].is_null());
        } else {
            assert_eq!(location["region"]["startLine"], diagnostic["line"]);
            assert_eq!(location["region"]["startColumn"], diagnostic["column"]);
        }
    }
}

#[test]
fn color_is_asked_for_or_off() {
    let mapper = shared("reject").join("bad-jsonpath.json").to_string_lossy().into_owned();
    let always = hookmap(&["check", "--color", "always", &mapper]);
    let stderr = String::from_utf8_lossy(&always.stderr);
    assert!(stderr.contains("\x1b[1;31merror\x1b[0m"), "{stderr}");
    // Not a terminal (the test captures stderr): auto means none, as does never.
    for args in [vec!["check", &mapper], vec!["check", "--color", "never", &mapper]] {
        let out = hookmap(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: ") && !stderr.contains('\x1b'), "{stderr}");
        assert_eq!(out.status.code(), Some(1));
    }
}

#[test]
fn samples_check_paths_with_filters_and_slices() {
    let mapper = fixture("primary_contact.json");
    let out = hookmap(&["check", "--sample", &fixture("primary_contact_good.json"), &mapper]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    // No contact is primary: the filter keeps nothing in any sample.
    let out = hookmap(&["check", "--sample", &fixture("primary_contact_none.json"), &mapper]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`$.contacts[?@.primary == true].email` matches nothing in the sample payloads"),
        "{stderr}"
    );

    // The primary contact's email is an object: the compiled mapper would refuse the payload,
    // with this message and pointer.
    let out = hookmap(&["check", "--sample", &fixture("primary_contact_bad.json"), &mapper]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "Field 'customer_id' ($.contacts[?@.primary == true].email) must be a string or an integer, found an object (at `/contacts/0/email`)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("primary_contact.json:5:"), "{stderr}");
}

#[test]
fn diagnostics_with_a_likely_fix_name_it() {
    let dir = std::env::temp_dir().join(format!("hookmap-fix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mapper = dir.join("week_year.json");
    let text = std::fs::read_to_string(fixture("lead_form.json"))
        .expect("fixture")
        .replace("yyyy-MM-dd HH:mm:ss", "YYYY-MM-dd HH:mm:ss")
        .replace("$.form.name", "$.form[name");
    std::fs::write(&mapper, text).expect("write");
    let out = hookmap(&["check", "--color", "never", &mapper.to_string_lossy()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown pattern letter 'Y'"), "{stderr}");
    assert!(
        stderr.contains("= help: 'Y' is the week-based year in Java; use 'yyyy' for the year"),
        "{stderr}"
    );
    assert!(stderr.contains("a name in brackets is quoted, as in ['name'] (or write .name)"), "{stderr}");
}
