//! Sample payloads fail the build (macro and `Builder`) when the mapper cannot read them, and the
//! same mapper builds without them. The fixtures are shared with `cli/tests/check.rs`.

use quote::quote;

const MAPPER: &str = "../cli/tests/fixtures/lead_form.json";
const SAMPLE: &str = "../cli/tests/fixtures/lead_sample.json";

fn builder() -> hookmap_compiler::Builder {
    let mut builder = hookmap_compiler::Builder::new();
    builder.manifest_dir(env!("CARGO_MANIFEST_DIR"));
    builder
}

#[test]
fn a_path_typo_fails_the_build_with_the_right_suggestion() {
    let error = builder().mapper(MAPPER).sample(SAMPLE).generate().expect_err("the typo is caught");
    let text = error.to_string();
    assert!(text.contains("`$.emial` matches nothing in the sample payloads"), "{text}");
    assert!(text.contains("did you mean `email`?"), "{text}");
    assert!(text.contains("lead_form.json:5:"), "{text}");

    builder().mapper(MAPPER).generate().expect("without samples the mapper builds");
}

#[test]
fn the_macro_reports_sample_errors_as_compile_errors() {
    let with = hookmap_compiler::__macro::expand(quote!(path = #MAPPER, samples = [#SAMPLE])).to_string();
    assert!(with.contains("compile_error"), "{with}");
    assert!(with.contains("did you mean `email`?"), "{with}");
    // The sample is tracked too, so editing it rebuilds the crate.
    assert!(with.contains("lead_sample.json"), "{with}");

    let without = hookmap_compiler::__macro::expand(quote!(path = #MAPPER)).to_string();
    assert!(!without.contains("compile_error"), "{without}");
}
