//! The `mapper!` procedural macro of hookmap. See the `hookmap` crate for documentation.

use proc_macro::TokenStream;

/// Compiles a mapper JSON file into a type that implements `hookmap::Mapper`.
#[proc_macro]
pub fn mapper(input: TokenStream) -> TokenStream {
    let _ = input;
    TokenStream::new()
}
