//! The runtime's JSON reader against serde_json: the same accept/reject decision on every input
//! (within serde_json's nesting limit of 128, which the reader does not have).
//!
//! Bytes that are not UTF-8 are no JSON (RFC 8259 §8.1), and the reader refuses them all;
//! serde_json's `from_slice` does not look inside strings it skips, so it is compared on text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;

fuzz_target!(|data: &[u8]| {
    let openers = data.iter().filter(|&&b| b == b'[' || b == b'{').count();
    if openers > 120 {
        return;
    }
    let ours = hookmap::__private::read::<IgnoredAny>(data).is_ok();
    match std::str::from_utf8(data) {
        Ok(text) => {
            let theirs = serde_json::from_str::<IgnoredAny>(text).is_ok();
            assert_eq!(ours, theirs, "reader accepts: {ours}, serde_json accepts: {theirs}");
        }
        Err(_) => assert!(!ours, "the reader accepted bytes that are not UTF-8"),
    }
});
