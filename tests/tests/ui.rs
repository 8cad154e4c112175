//! Where `mapper!` puts its errors: compile-fail cases checked with trybuild.
//!
//! trybuild builds each case in its own directory under `target/tests/trybuild`, where
//! `CARGO_MANIFEST_DIR` is not this crate's, so the cases give their mappers inline with
//! `source = r#"…"#`; the wording of every diagnostic is covered by the compiler's snapshots.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
