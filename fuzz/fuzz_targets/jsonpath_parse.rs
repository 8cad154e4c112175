//! JSONPath query text into the parser: a query or an error whose span lies in the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = hookmap_compiler::jsonpath::parse(text) {
        assert!(e.span.start <= e.span.end && e.span.end <= text.len(), "span {:?} of {text:?}", e.span);
        assert!(!e.message.is_empty());
    }
});
