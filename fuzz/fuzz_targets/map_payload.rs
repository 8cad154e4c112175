//! Payload bytes into every compiled example and conformance mapper: records or one whole
//! error, never a panic; both serialize to JSON. The first byte picks the mapper.
#![no_main]

use libfuzzer_sys::fuzz_target;

hookmap::include_mappers!();

fuzz_target!(|data: &[u8]| {
    let Some((&pick, payload)) = data.split_first() else { return };
    let mapper = MAPPERS[usize::from(pick) % MAPPERS.len()];
    let json = match mapper.map(payload) {
        Ok(records) => serde_json::to_string(&records).expect("records serialize"),
        Err(error) => {
            assert!(!error.details().is_empty(), "an error names at least one problem");
            serde_json::to_string(&error).expect("errors serialize")
        }
    };
    serde_json::from_str::<serde::de::IgnoredAny>(&json).expect("the output is JSON");
    // A differential check against the plan evaluator belongs here once `hookmap run` has one.
});
