//! The log: the one thing the gateway's three roles share.
//!
//! Ingest appends an [`Entry`] for every request it accepts; import (records into the SQLite
//! store) and delivery (records to MoEngage's Data API) read entries in the order they were
//! accepted, each at its own pace, each remembering how far it got. Nothing else passes between
//! the roles: they agree on the entry and its [`encoding`], and on nothing more.
//!
//! Two logs implement that contract (`docs/architecture.md`):
//! - embedded: the SQLite file itself. The group-commit writer imports an entry and queues it
//!   for delivery in the same transaction, so an acknowledged request is imported and queued;
//! - broker: a NATS JetStream stream, replicated by Raft, that any number of gateways publish to
//!   and that importers and forwarders read with durable consumers.

pub mod encoding;
mod entry;
pub mod jetstream;

pub use entry::{Content, Entry};
