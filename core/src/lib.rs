//! The records, errors and helpers of hookmap, re-exported by the `hookmap` crate, which is the
//! one users depend on (see its documentation).
//!
//! They live in their own crate so that the compiler's evaluator (`hookmap run`, `hookmap test`,
//! sample checks) builds records with the very code that compiled mappers call.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod json;
mod jsonpath;
mod mapper;
mod reader;
mod record;
mod value;

#[doc(hidden)]
pub mod __private;
/// Date and time primitives that compiled `user_time` parsers call.
pub use hookmap_date as date;

pub use error::{Detail, INVALID_PAYLOAD, MapError};
pub use mapper::{Mapper, MapperInfo, MappingType};
pub use record::{Attributes, Event, Platform, Profile, Record};
pub use value::Value;
