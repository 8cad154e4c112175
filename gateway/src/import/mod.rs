//! Import: log entries applied to the SQLite store (profiles, events, merges), and the
//! look-ups read from it.

pub mod consumer;
pub(crate) mod lookup;
pub mod store;
pub mod writer;
