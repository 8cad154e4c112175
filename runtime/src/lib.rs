//! hookmap turns webhook payloads into events and user profiles with mappers that were compiled
//! into Rust at build time.
//!
//! A mapper is a JSON configuration (the Connected Sources mapper format, documented in
//! `docs/mapper-format.md`). The `mapper!` macro (feature `macros`) or the build-script `Builder`
//! of `hookmap-compiler` turns it into a type that implements [`Mapper`]:
//!
//! ```ignore
//! hookmap::mapper!("mappers/lead_form.json");      // defines `pub struct LeadForm;`
//!
//! let records = LeadForm.map(body)?;                 // body: &[u8], the raw request body
//! let json = serde_json::to_string(&records)?;       // the records JSON
//! ```
//!
//! This crate holds (through `hookmap-core`) what the generated code produces ([`Record`], [`Event`], [`Profile`],
//! [`Value`]), the error it returns ([`MapError`]) and the small helpers it calls. Records
//! borrow from the payload where they can, so mapping allocates little; [`Record::into_owned`]
//! detaches them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[doc(hidden)]
pub use hookmap_core::__private;
pub use hookmap_core::date;
pub use hookmap_core::{
    Attributes, Detail, Event, INVALID_PAYLOAD, MapError, Mapper, MapperInfo, MappingType, Platform, Profile,
    Record, Value,
};

/// Compiles a mapper JSON file into a type that implements [`Mapper`]. See `hookmap-macros`.
#[cfg(feature = "macros")]
pub use hookmap_macros::mapper;

/// Includes a mapper that a build script generated with `hookmap_compiler::Builder`.
///
/// `include_mapper!("lead_form")` includes `$OUT_DIR/lead_form.rs`, which defines
/// `pub struct LeadForm;`.
#[macro_export]
macro_rules! include_mapper {
    ($name:literal) => {
        ::core::include!(::core::concat!(::core::env!("OUT_DIR"), "/", $name, ".rs"));
    };
}

/// Includes every mapper a build script generated with `hookmap_compiler::Builder`, and
/// `pub static MAPPERS: &[&dyn hookmap::Mapper]` listing them.
#[macro_export]
macro_rules! include_mappers {
    () => {
        ::core::include!(::core::concat!(::core::env!("OUT_DIR"), "/all_mappers.rs"));
    };
}
