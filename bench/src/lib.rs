//! Benchmarks of hookmap's generated mappers (`cargo bench -p hookmap-bench`; see
//! `docs/benchmarks.md`). Each workload is mapped four ways, each producing the same records:
//!
//! - `generated`: the mapper compiled by hookmap in `build.rs` ([`generated`]),
//! - `interpreted`: `serde_json::Value` plus `serde_json_path` at run time ([`interpreted`]),
//! - `handwritten`: serde derive with borrowed fields, for some workloads ([`handwritten`]),
//! - `floor`: `serde_json::from_slice::<IgnoredAny>`, reading the bytes and keeping nothing.

pub mod compare;
pub mod generated;
pub mod handwritten;
pub mod implementation;
pub mod interpreted;
pub mod measure;
pub mod report;
pub mod workloads;
