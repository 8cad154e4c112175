//! The golden files of `hookmap test` (`tests/golden`, written with `hookmap test --bless`) hold
//! for the compiled mapper too, through the one call a user's `cargo test` makes.

mod builder {
    include!(concat!(env!("OUT_DIR"), "/builder/all_mappers.rs"));
}

use hookmap::Mapper;

fn seed_1() -> &'static dyn Mapper {
    *builder::MAPPERS
        .iter()
        .find(|m| m.info().config_name == "seed-1-simple-form")
        .expect("seed 1 is compiled")
}

#[test]
fn golden_files_hold_for_the_compiled_mapper() {
    hookmap_compiler::golden::assert_cases(seed_1(), "golden/tests/seed-1-simple-form");
}

#[test]
fn a_wrong_golden_file_fails_with_its_diff() {
    let dir = std::env::temp_dir().join(format!("hookmap-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let source = std::path::Path::new("golden/tests/seed-1-simple-form");
    for name in ["contact_us.json", "contact_us.records.json"] {
        std::fs::copy(source.join(name), dir.join(name)).expect("copy");
    }
    let expected = dir.join("contact_us.records.json");
    let text = std::fs::read_to_string(&expected).expect("golden").replace("Contact Us", "Contact Them");
    std::fs::write(&expected, text).expect("edit");
    let failure = std::panic::catch_unwind(|| hookmap_compiler::golden::assert_cases(seed_1(), &dir))
        .expect_err("a wrong expectation fails");
    let message = failure.downcast_ref::<String>().cloned().unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(message.contains("1 of 1 golden cases failed"), "{message}");
    assert!(message.contains("-      \"form_name\": \"Contact Them\""), "{message}");
    assert!(message.contains("+      \"form_name\": \"Contact Us\""), "{message}");
}
