//! Ingest: webhooks in, mapped by the compiled mappers, appended to the log.
//!
//! Everything a sender can get wrong is answered here (401, 429, 404, 413, 400 with the e_9004
//! body); a 200 means the log holds the request.

pub(crate) mod handler;
pub mod idempotency;
pub mod ratelimit;
pub mod registry;
pub(crate) mod shared_limit;
pub mod signature;
pub mod sink;
