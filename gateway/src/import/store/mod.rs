//! Where accepted requests and their records go.
//!
//! [`Store`] is what import needs of a store: "apply this group of log entries durably, each
//! all-or-nothing" and two look-ups. [`SqliteStore`] is the one there is.

mod sqlite;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::value::RawValue;

pub use sqlite::SqliteStore;

use crate::log::Entry;

/// What became of one [`Entry`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Its records are stored (`skipped` of them were profile updates with
    /// `update_existing_only` for a profile that does not exist).
    Imported {
        /// Records in the payload.
        records: usize,
        /// Records not applied because of `update_existing_only`.
        skipped: usize,
    },
    /// The request was recorded as refused.
    Rejected,
    /// The idempotency key was seen within the window: nothing was stored, and this is the id of
    /// the request that first used it.
    Duplicate {
        /// The first request's id.
        request_id: String,
    },
}

/// A storage failure. Nothing of the write (or group) it concerns was stored.
#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// A stored request, as `GET /v1/requests/{request_id}` shows it.
#[derive(Debug, Serialize)]
pub struct RequestInfo {
    /// The request's id.
    pub request_id: String,
    /// `imported` or `rejected`.
    pub status: String,
    /// From the URL.
    pub partner: String,
    /// `events` or `users`.
    pub mapping_type: String,
    /// From the URL.
    pub config_name: String,
    /// Records in the payload.
    pub records: u64,
    /// Records skipped because of `update_existing_only`.
    pub skipped: u64,
    /// The e_9004 error body of a rejected request.
    pub error: Option<Box<RawValue>>,
    /// Where forwarding to the Data API stands, for a workspace with a destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<crate::delivery::DeliveryView>,
    /// Milliseconds since the epoch.
    pub received_at: i64,
}

/// A profile with its latest events, as `GET /v1/customers/{customer_id}` shows it.
#[derive(Debug, Serialize)]
pub struct CustomerView {
    /// The customer.
    pub customer_id: String,
    /// Profile attributes, by name, with their JSON values exactly as stored.
    pub attributes: BTreeMap<String, Box<RawValue>>,
    /// Anonymous ids merged into this profile.
    pub anon_ids: Vec<String>,
    /// The latest events, newest first.
    pub events: Vec<EventView>,
}

/// A stored event.
#[derive(Debug, Serialize)]
pub struct EventView {
    /// The request that brought it.
    pub request_id: String,
    /// `customer_id` as sent (absent for an anonymous event merged later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// `anon_id` as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anon_id: Option<String>,
    /// The event's name.
    pub event_name: String,
    /// Milliseconds since the epoch.
    pub user_time: i64,
    /// `web`, `android`, `ios` or `api`.
    pub platform: String,
    /// The sender's version.
    pub app_version: String,
    /// Event attributes.
    pub attr: Box<RawValue>,
}

/// What [`Store::write_group`] returns: per entry, its outcome or why it alone failed; or
/// why the whole group failed.
pub type GroupResult = Result<Vec<Result<WriteOutcome, StoreError>>, StoreError>;

/// A destination for accepted requests.
///
/// `write_group` is called by one writer thread at a time; the look-ups may be called from
/// other threads meanwhile.
pub trait Store: Send + Sync + 'static {
    /// Imports `entries` in one durable transaction (on return with `Ok`, everything reported as
    /// stored survives a crash). Each entry is applied whole or not at all: an entry that fails
    /// gets `Err` in its place and the others go on. An `Err` for the whole call means nothing
    /// of the group was stored.
    fn write_group(&self, entries: &[Entry]) -> GroupResult;

    /// Imports entries read from the log, as [`Store::write_group`] does, and in the same
    /// transaction records that `consumer` has applied the log through sequence `through`, so
    /// a consumer that restarts after the commit skips them instead of applying them twice.
    /// `entries` pairs each entry with its sequence; an entry that fails alone, and each of
    /// `unreadable` (a sequence and why its message cannot be read), is recorded as a failure
    /// of the log rather than lost.
    fn import_from_log(
        &self,
        consumer: &str,
        through: u64,
        entries: &[(u64, Entry)],
        unreadable: &[(u64, String)],
    ) -> GroupResult;

    /// How far `consumer` has applied the log (0 before the first entry).
    fn log_position(&self, consumer: &str) -> Result<u64, StoreError>;

    /// Housekeeping, called by the writer thread between groups, after their requests were
    /// answered (so no acknowledgement waits for it): forgetting expired idempotency keys,
    /// compacting logs. `now_ms` is the current time.
    fn maintain(&self, now_ms: i64) -> Result<(), StoreError>;

    /// Queues every entry of `workspaces` that is imported from now on for delivery, in the
    /// transaction that imports it (the embedded log's outbox). `None`: this store cannot.
    fn enable_outbox(
        &self,
        workspaces: &[String],
    ) -> Result<Option<crate::delivery::outbox::Handle>, StoreError> {
        let _ = workspaces;
        Ok(None)
    }

    /// A stored request of `workspace`.
    fn request(&self, workspace: &str, request_id: &str) -> Result<Option<RequestInfo>, StoreError>;

    /// A profile of `workspace` with its `events` latest events.
    fn customer(
        &self,
        workspace: &str,
        customer_id: &str,
        events: usize,
    ) -> Result<Option<CustomerView>, StoreError>;
}
