//! `mapper!(...)`: its arguments and its expansion. Lives in the compiler so it can be tested
//! without a proc-macro context.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

use crate::{Options, Source, generate};

/// The macro's arguments: `"path"` or `key = value, ...` with keys `path`, `source`, `name`,
/// `runtime`, `samples`.
struct MacroInput {
    path: Option<LitStr>,
    source: Option<LitStr>,
    name: Option<Ident>,
    runtime: Option<syn::Path>,
    samples: Vec<LitStr>,
}

impl Parse for MacroInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args =
            MacroInput { path: None, source: None, name: None, runtime: None, samples: Vec::new() };
        if input.peek(LitStr) {
            args.path = Some(input.parse()?);
            if input.is_empty() {
                return Ok(args);
            }
            input.parse::<Token![,]>()?;
        }
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "path" => args.path = Some(input.parse()?),
                "source" => args.source = Some(input.parse()?),
                "name" => args.name = Some(input.parse()?),
                "runtime" => args.runtime = Some(input.parse()?),
                "samples" => {
                    let list;
                    syn::bracketed!(list in input);
                    let items = list.parse_terminated(|p| p.parse::<LitStr>(), Token![,])?;
                    args.samples.extend(items);
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown key `{other}`; expected `path`, `source`, `name`, `runtime` or `samples`"
                        ),
                    ));
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        match (&args.path, &args.source) {
            (None, None) => Err(input.error("give the mapper file: `mapper!(\"mappers/lead.json\")`")),
            (Some(p), Some(_)) => Err(syn::Error::new(p.span(), "give either a path or `source`, not both")),
            _ => Ok(args),
        }
    }
}

/// Expands `mapper!(...)`. Errors become `compile_error!`s next to a skeleton of the type, so
/// the user sees the mapper's errors rather than "cannot find type" errors where it is used.
pub fn expand(input: TokenStream) -> TokenStream {
    let args = match syn::parse2::<MacroInput>(input) {
        Ok(args) => args,
        Err(e) => return e.to_compile_error(),
    };
    let span = args.path.as_ref().or(args.source.as_ref()).map_or_else(Span::call_site, LitStr::span);
    let source = match (&args.path, &args.source) {
        (Some(path), _) => match manifest_dir() {
            Ok(dir) => Source::read(&dir, &path.value()),
            Err(message) => Err(crate::Diagnostic::error(message)),
        },
        (None, Some(text)) => Ok(Source::inline("<inline mapper>", text.value())),
        (None, None) => Err(crate::Diagnostic::error("no mapper given")),
    };
    let mut samples = Vec::new();
    for sample in &args.samples {
        let read = manifest_dir()
            .map_err(crate::Diagnostic::error)
            .and_then(|dir| Source::read(&dir, &sample.value()));
        match read {
            Ok(source) => samples.push(source),
            Err(diagnostic) => {
                let message = diagnostic.message;
                return quote_spanned!(sample.span()=> ::core::compile_error!(#message););
            }
        }
    }
    let tracked_samples: Vec<TokenStream> =
        samples.iter().filter_map(|s| s.path.as_deref()).map(track).collect();
    let options = Options {
        runtime: args.runtime.as_ref().map_or_else(|| quote!(::hookmap), |p| quote!(#p)),
        type_name: args.name.as_ref().map(ToString::to_string),
        config_name: None,
        samples,
    };
    let fallback_name = args.name.as_ref().map_or_else(
        || {
            generate::camel_case(&crate::file_stem(
                &args.path.as_ref().map_or_else(String::new, LitStr::value),
            ))
        },
        ToString::to_string,
    );
    let source = match source {
        Ok(source) => source,
        Err(diagnostic) => {
            let message = diagnostic.message;
            let error = quote_spanned!(span=> ::core::compile_error!(#message););
            return skeleton(&fallback_name, &options.runtime, error);
        }
    };
    let tracked = source.path.as_deref().map(track);
    let tracked = quote!(#tracked #(#tracked_samples)*);
    match crate::compile(&source, &options) {
        Ok(output) => {
            let tokens = output.tokens;
            quote!(#tracked #tokens)
        }
        Err(diagnostics) => {
            // One compile error per mapper error, each with its file:line:col and excerpt.
            let errors = diagnostics
                .each_rendered()
                .into_iter()
                .map(|message| quote_spanned!(span=> ::core::compile_error!(#message);));
            skeleton(&fallback_name, &options.runtime, quote!(#tracked #(#errors)*))
        }
    }
}

/// Makes Cargo rebuild the crate when the mapper file changes.
fn track(path: &Path) -> TokenStream {
    let path = path.to_string_lossy();
    quote!(
        const _: &[u8] = ::core::include_bytes!(#path);
    )
}

#[allow(clippy::disallowed_methods)]
fn manifest_dir() -> Result<PathBuf, String> {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| "CARGO_MANIFEST_DIR is not set; mapper! resolves paths against it".to_owned())
}

/// The mapper type with a body that is never reached: the build fails on `error` anyway.
fn skeleton(name: &str, runtime: &TokenStream, error: TokenStream) -> TokenStream {
    let name = Ident::new(name, Span::call_site());
    let rt = quote!(#runtime::__private);
    quote! {
        #error
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug, ::core::default::Default)]
        pub struct #name;
        impl #rt::Mapper for #name {
            fn info(&self) -> &'static #rt::MapperInfo {
                ::core::unimplemented!()
            }
            fn map<'a>(
                &self,
                _payload: &'a [u8],
            ) -> ::core::result::Result<#rt::Vec<#rt::Record<'a>>, #rt::MapError> {
                ::core::unimplemented!()
            }
        }
    }
}
