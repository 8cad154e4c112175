//! Generates the code the end-to-end tests include from `$OUT_DIR`, with the compiler, the way a
//! user's build script would: the conformance suite's mappers (through the `Builder`, and as
//! `mapper!` invocations) and a table of date parsers.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

use hookmap_compiler::date::{generate_parser, parse_format, timezone_variant};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::value::RawValue;

fn main() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts"));
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    conformance(&manifest, &out_dir);
    date_parsers(&out_dir);
    jsonpath_cts(&manifest, &out_dir);
    println!("cargo:rerun-if-changed=build.rs");
}

const CASES: &str = "../../shared/conformance/cases";

/// Compiles every conformance mapper with the `Builder` into `$OUT_DIR/builder`, and writes
/// `mapper!` invocations for the same files into `$OUT_DIR/conformance_macro.rs`. A case the
/// compiler rejects is recorded with its message in `REJECTED_CASES`, which the conformance test
/// reports as a failure.
fn conformance(manifest: &Path, out: &Path) {
    println!("cargo:rerun-if-changed={CASES}");
    let cases = case_names(&manifest.join(CASES));

    let mut compiled = Vec::new();
    let mut rejected = Vec::new();
    for case in &cases {
        let path = format!("{CASES}/{case}/mapper.json");
        println!("cargo:rerun-if-changed={path}");
        let result =
            hookmap_compiler::Builder::new().mapper_as(&path, case).manifest_dir(manifest).generate();
        match result {
            Ok(_) => compiled.push(case.clone()),
            Err(e) => rejected.push((case.clone(), e.to_string())),
        }
    }

    let builder_dir = out.join("builder");
    std::fs::create_dir_all(&builder_dir).expect("create OUT_DIR/builder");
    let mut builder = hookmap_compiler::Builder::new();
    builder.manifest_dir(manifest).out_dir(&builder_dir).emit_rerun_if_changed(false);
    for case in &compiled {
        builder.mapper_as(format!("{CASES}/{case}/mapper.json"), case);
    }

    // Mappers that stress naming and shapes the conformance suite lacks, so clippy sees their
    // generated code too.
    builder.mapper("mappers/odd_names.json").mapper("mappers/literals_only.json");
    println!("cargo:rerun-if-changed=mappers");
    if let Err(e) = builder.compile() {
        panic!("compiling the test mappers failed:\n{e}");
    }

    let mut index = String::new();
    let mut macro_calls = String::new();
    writeln!(index, "/// Conformance cases compiled by the Builder: (case, mapper).").unwrap();
    writeln!(index, "pub static BUILDER_CASES: &[(&str, &dyn ::hookmap::Mapper)] = &[").unwrap();
    writeln!(macro_calls, "/// Conformance cases compiled by `mapper!`: (case, mapper).").unwrap();
    writeln!(macro_calls, "pub static MACRO_CASES: &[(&str, &dyn ::hookmap::Mapper)] = &[").unwrap();
    let mut macro_items = String::new();
    for case in &compiled {
        let ty = hookmap_compiler::generate::camel_case(case);
        writeln!(index, "    ({case:?}, &crate::builder::{ty}),").unwrap();
        writeln!(macro_calls, "    ({case:?}, &{ty}),").unwrap();
        writeln!(macro_items, "::hookmap::mapper!(name = {ty}, path = \"{CASES}/{case}/mapper.json\");")
            .unwrap();
    }
    writeln!(index, "];").unwrap();
    writeln!(macro_calls, "];").unwrap();
    writeln!(index, "/// Conformance cases the compiler rejected: (case, rendered diagnostics).").unwrap();
    writeln!(index, "pub static REJECTED_CASES: &[(&str, &str)] = &[").unwrap();
    for (case, message) in &rejected {
        writeln!(index, "    ({case:?}, {message:?}),").unwrap();
    }
    writeln!(index, "];").unwrap();
    std::fs::write(out.join("conformance_builder.rs"), index).expect("write index");
    std::fs::write(out.join("conformance_macro.rs"), macro_items + &macro_calls).expect("write macro calls");
}

fn case_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("the conformance suite must be at {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().join("mapper.json").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// `$OUT_DIR/date_parsers.rs` for `tests/date_formats.rs`: one parser per entry of the table
/// below (function name, `formats.user_time` entries, mapper `timezone`), and `ZONES`, every
/// zone of chrono-tz with the `Tz` variant the compiler names for it.
fn date_parsers(out_dir: &Path) {
    // The seed patterns of the Connected Sources reference and the conformance suite first,
    // then the extras.
    const PARSERS: &[(&str, &[&str], Option<&str>)] = &[
        ("ymd", &["yyyy-MM-dd"], None),
        ("ymd_slashes", &["yyyy/MM/dd"], None),
        ("dmy_slashes", &["dd/MM/yyyy"], None),
        ("dmy_dashes", &["dd-MM-yyyy"], None),
        ("ymd_hms", &["yyyy-MM-dd HH:mm:ss"], None),
        ("dmy_dashes_hms", &["dd-MM-yyyy HH:mm:ss"], None),
        ("dmy_slashes_hms", &["dd/MM/yyyy HH:mm:ss"], None),
        ("ymd_slashes_hms", &["yyyy/MM/dd HH:mm:ss"], None),
        ("iso_rfc822", &["yyyy-MM-dd'T'HH:mm:ssZ"], None),
        ("micros", &["yyyy-MM-dd HH:mm:ss.SSSSSS"], None),
        ("micros_literal_z", &["yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"], None),
        ("dmy_t_rfc822", &["dd/MM/yyyy'T'HH:mm:ssZ"], None),
        ("dmy_micros_literal_z", &["dd-MM-yyyy'T'HH:mm:ss.SSSSSS'Z'"], None),
        ("kolkata", &["yyyy-MM-dd HH:mm:ss"], Some("Asia/Kolkata")),
        ("offset_or_date", &["yyyy-MM-dd'T'HH:mm:ssZ", "yyyy-MM-dd"], None),
        ("epoch_seconds", &["epoch_seconds"], None),
        ("epoch_millis", &["epoch_millis"], None),
        // Extras.
        ("month_abbr", &["dd MMM yyyy"], None),
        ("month_full", &["MMMM d, yyyy"], None),
        ("rfc2822", &["EEE, dd MMM yyyy HH:mm:ss Z"], None),
        ("weekday_clock", &["EEEE, MMMM d, yyyy h:mm a"], None),
        ("us_clock", &["MM/dd/yyyy hh:mm:ss a"], None),
        ("iso_hours", &["yyyy-MM-dd'T'HH:mm:ssX"], None),
        ("iso_basic", &["yyyy-MM-dd'T'HH:mm:ssXX"], None),
        ("iso_extended_millis", &["yyyy-MM-dd'T'HH:mm:ss.SSSXXX"], None),
        ("iso_nanos", &["yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSXXX"], None),
        ("tenths", &["yyyy-MM-dd HH:mm:ss.S"], None),
        ("two_digit_year", &["dd.MM.yy"], None),
        ("compact", &["yyyyMMddHHmmss"], None),
        ("single_digits", &["d/M/yyyy H:m:s"], None),
        ("quoted_text", &["yyyy-MM-dd 'at' HH:mm 'o''clock'"], None),
        ("unicode_literals", &["yyyy年MM月dd日"], None),
        ("utc_by_name", &["yyyy-MM-dd HH:mm"], Some("UTC")),
        ("new_york", &["yyyy-MM-dd HH:mm:ss"], Some("America/New_York")),
        (
            "new_york_list",
            &["yyyy-MM-dd'T'HH:mm:ssXXX", "yyyy-MM-dd HH:mm", "epoch_millis"],
            Some("America/New_York"),
        ),
        ("kolkata_with_offset", &["yyyy-MM-dd'T'HH:mm:ssXXX"], Some("Asia/Kolkata")),
        ("kolkata_literal_z", &["yyyy-MM-dd'T'HH:mm:ss'Z'"], Some("Asia/Kolkata")),
        ("gmt_minus_5", &["yyyy-MM-dd HH:mm:ss"], Some("Etc/GMT-5")),
    ];

    let runtime = quote!(::hookmap);
    let mut items = TokenStream::new();
    for &(name, formats, timezone) in PARSERS {
        let formats: Vec<_> = formats
            .iter()
            .map(|format| parse_format(format).unwrap_or_else(|e| panic!("{name}: {format}: {e}")))
            .collect();
        items.extend(generate_parser(&format_ident!("{name}"), &formats, timezone, &runtime));
    }
    let zones = chrono_tz::TZ_VARIANTS.iter().map(|zone| {
        let name = zone.name();
        let variant = timezone_variant(name).unwrap_or_else(|| panic!("{name} is not a zone"));
        quote!((#name, #runtime::__private::chrono_tz::Tz::#variant))
    });
    items.extend(quote! {
        const ZONES: &[(&str, #runtime::__private::chrono_tz::Tz)] = &[#(#zones),*];
    });
    write_rust(&out_dir.join("date_parsers.rs"), items);
}

const CTS: &str = "../../shared/jsonpath-cts/cts.json";

/// `$OUT_DIR/jsonpath_cts.rs` for `tests/jsonpath_cts.rs`: every valid selector of the suite
/// compiled into a nodelist function, and `CTS`, one `hookmap_tests::CtsCase` per test. Invalid
/// selectors get no function; whether the compiler rejected them is recorded.
fn jsonpath_cts(manifest: &Path, out_dir: &Path) {
    // JSON texts are kept as written (`RawValue`): object member order matters to the
    // expected nodelists, and `serde_json::Value` would sort it.
    type Fields = BTreeMap<String, Box<RawValue>>;
    println!("cargo:rerun-if-changed={CTS}");
    let path = manifest.join(CTS);
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("the CTS must be at {}: {e}", path.display()));
    let suite: Fields = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let tests: Vec<Fields> = suite
        .get("tests")
        .and_then(|tests| serde_json::from_str(tests.get()).ok())
        .unwrap_or_else(|| panic!("{}: no tests array", path.display()));
    let string = |test: &Fields, key: &str| -> String {
        test.get(key).and_then(|raw| serde_json::from_str(raw.get()).ok()).unwrap_or_default()
    };

    let runtime = quote!(::hookmap);
    let mut items = TokenStream::new();
    let mut cases = Vec::new();
    for (i, test) in tests.iter().enumerate() {
        let (name, selector) = (string(test, "name"), string(test, "selector"));
        let (run, compiled) = match hookmap_compiler::jsonpath::parse(&selector) {
            Ok(query) => {
                let function = format_ident!("case_{}", i);
                items.extend(
                    hookmap_compiler::generate::query::nodelist_fn(&function, &query, &runtime).tokens,
                );
                (quote!(::core::option::Option::Some(#function)), true)
            }
            Err(_) => (quote!(::core::option::Option::None), false),
        };
        let invalid = test.get("invalid_selector").is_some_and(|raw| raw.get() == "true");
        let document = test.get("document").map_or("null", |d| d.get());
        let results: Vec<String> = match (test.get("result"), test.get("results")) {
            (Some(result), _) => vec![result.get().to_owned()],
            (None, Some(results)) => serde_json::from_str::<Vec<Box<RawValue>>>(results.get())
                .map(|list| list.iter().map(|r| r.get().to_owned()).collect())
                .unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        cases.push(quote! {
            ::hookmap_tests::CtsCase {
                name: #name,
                selector: #selector,
                invalid: #invalid,
                compiled: #compiled,
                run: #run,
                document: #document,
                results: &[#(#results),*],
            }
        });
    }
    items.extend(quote! {
        pub static CTS: &[::hookmap_tests::CtsCase] = &[#(#cases),*];
    });
    write_rust(&out_dir.join("jsonpath_cts.rs"), items);
}

/// Writes `tokens` formatted, unless the file already holds that text (so that the tests are
/// not rebuilt for nothing).
fn write_rust(path: &Path, tokens: TokenStream) {
    let text =
        format!("// @generated by tests/build.rs. Do not edit.\n\n{}", hookmap_compiler::format(&tokens));
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
