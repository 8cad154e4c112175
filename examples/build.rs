//! Compiles every mapper in `mappers/` into `$OUT_DIR` (see `src/main.rs`).
fn main() {
    if let Err(e) = hookmap_compiler::Builder::new().mappers_in("mappers").compile() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
