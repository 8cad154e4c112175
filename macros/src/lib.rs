//! The `mapper!` procedural macro of hookmap. See the `hookmap` crate for documentation.
//!
//! The macro is a thin shim: parsing, checking and code generation live in `hookmap-compiler`,
//! where they can be tested and shared with the build-script `Builder`.

use proc_macro::TokenStream;

/// Compiles a mapper JSON file into a type that implements `hookmap::Mapper`.
///
/// - `mapper!("mappers/lead_form.json")` defines `pub struct LeadForm;` (the file stem in
///   CamelCase). The path is relative to the crate's `Cargo.toml`; the crate is rebuilt when the
///   file changes.
/// - `name = TypeName` chooses the type's name.
/// - `runtime = path::to::hookmap` names the runtime crate when it is renamed or re-exported.
/// - `source = r#"{ ... }"#` gives the mapper inline instead of a path.
///
/// Every error in the mapper file is a compile error with its file, line and column.
#[proc_macro]
pub fn mapper(input: TokenStream) -> TokenStream {
    hookmap_compiler::__macro::expand(input.into()).into()
}
