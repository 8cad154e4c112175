//! Compiles hookmap mappers (JSON with JSONPath, the Connected Sources mapper format) into
//! specialized Rust code.
//!
//! The pipeline has one module per stage: [`frontend`] parses the file into the typed
//! [`model`], [`lower`] resolves paths into a read plan ([`ir`]), and [`generate`] turns the plan
//! into Rust tokens. Nothing of the mapper is interpreted at run time.
//!
//! Used by the `mapper!` macro (crate `hookmap-macros`) and by build scripts through
//! [`Builder`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod date;
pub mod diagnostics;
pub mod frontend;
pub mod jsonpath;
pub mod model;
pub mod source;

pub use diagnostics::{Diagnostic, Diagnostics};
pub use source::Source;
pub mod evaluate;
pub mod generate;
pub mod golden;
pub mod ir;
pub mod lower;
pub mod scaffold;

mod builder;
mod macro_input;
mod samples;

use std::path::PathBuf;

use proc_macro2::TokenStream;

pub use builder::{BuildError, Builder};

/// How to compile a mapper.
#[derive(Clone, Debug)]
pub struct Options {
    /// Path of the runtime crate in generated code (default `::hookmap`).
    pub runtime: TokenStream,
    /// The generated type's name (default: the file stem in CamelCase).
    pub type_name: Option<String>,
    /// The config name when the file sets none (default: the file stem).
    pub config_name: Option<String>,
    /// Sample payloads the mapper must read without error.
    pub samples: Vec<Source>,
}

impl Default for Options {
    fn default() -> Self {
        Options { runtime: quote::quote!(::hookmap), type_name: None, config_name: None, samples: Vec::new() }
    }
}

/// What compiling a mapper produced.
#[derive(Clone, Debug)]
pub struct Output {
    /// The generated items: the mapper type and its `Mapper` impl.
    pub tokens: TokenStream,
    /// The generated type's name.
    pub type_name: String,
    /// The mapper's config name (`config_name`, or the file stem).
    pub config_name: String,
    /// Files read, to rebuild when they change.
    pub tracked_files: Vec<PathBuf>,
}

/// Compiles one mapper file: parse, lower, check the samples, generate.
pub fn compile(source: &Source, options: &Options) -> Result<Output, Diagnostics> {
    let plan = plan(source, options)?;
    let tokens = generate::generate(&plan, &options.runtime, &source.name);
    Ok(Output {
        tokens,
        type_name: plan.type_name,
        config_name: plan.config_name,
        tracked_files: source.path.iter().cloned().collect(),
    })
}

/// Parses and checks one mapper file and lowers it to its read plan, then checks the plan on the
/// sample payloads of `options`: everything [`compile`] does but generating code. The plan is
/// what [`evaluate::evaluate`] runs.
pub fn plan(source: &Source, options: &Options) -> Result<ir::Plan, Diagnostics> {
    let mapper = frontend::parse(source).map_err(|list| Diagnostics::new(source, list))?;
    let stem = file_stem(&source.name);
    let names = lower::Names {
        type_name: options.type_name.clone().unwrap_or_else(|| generate::camel_case(&stem)),
        default_config_name: options.config_name.clone().unwrap_or(stem),
    };
    let plan = lower::lower(&mapper, &names).map_err(|list| Diagnostics::new(source, list))?;
    let sample_errors = samples::check(&mapper, &plan, &options.samples);
    if !sample_errors.is_empty() {
        return Err(Diagnostics::new(source, sample_errors));
    }
    Ok(plan)
}

/// Formats generated tokens as Rust source (prettyplease). Used by the `Builder`, the snapshot
/// tests and `hookmap expand`.
///
/// Tokens that do not parse as Rust (a compiler bug) come back unformatted, so they can still be
/// looked at; [`try_format`] reports that case.
pub fn format(tokens: &TokenStream) -> String {
    try_format(tokens).unwrap_or_else(|_| tokens.to_string())
}

/// Formats generated tokens as Rust source, or says why they do not parse.
pub fn try_format(tokens: &TokenStream) -> Result<String, String> {
    syn::parse2::<syn::File>(tokens.clone())
        .map(|file| prettyplease::unparse(&file))
        .map_err(|e| e.to_string())
}

/// The file name without directories and extension: `mappers/lead_form.json` → `lead_form`.
fn file_stem(name: &str) -> String {
    std::path::Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or("mapper").to_owned()
}

#[doc(hidden)]
/// Entry point of `hookmap-macros`; not a stable API.
pub mod __macro {
    pub use crate::macro_input::expand;
}
