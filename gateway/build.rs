//! Compiles the mappers the gateway serves: its own `mappers/` and the seed examples
//! (`../examples/mappers`). `src/mappers.rs` includes them.
fn main() {
    let result =
        hookmap_compiler::Builder::new().mappers_in("mappers").mappers_in("../examples/mappers").compile();
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
