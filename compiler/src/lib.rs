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
