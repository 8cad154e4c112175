//! Mapper file text into the compiler: diagnostics or code, never a panic; the code of every
//! accepted mapper parses as Rust.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = hookmap_compiler::Source::inline("fuzz.json", text);
    if let Ok(output) = hookmap_compiler::compile(&source, &hookmap_compiler::Options::default()) {
        let code = hookmap_compiler::format(&output.tokens);
        if let Err(e) = syn::parse_file(&code) {
            panic!("generated code does not parse: {e}\n{code}");
        }
    }
});
