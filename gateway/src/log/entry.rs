use std::sync::Arc;

use hookmap::{MappingType, Record};

/// One accepted request: what ingest appends to the log and what import and delivery read.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The id the gateway gave the request.
    pub request_id: String,
    /// The authenticated workspace; everything derived from the entry is scoped to it.
    pub workspace: Arc<str>,
    /// From the URL.
    pub partner: String,
    /// From the URL.
    pub mapping_type: MappingType,
    /// From the URL.
    pub config_name: String,
    /// When the gateway received the request, in milliseconds since the epoch.
    pub received_at_ms: i64,
    /// The idempotency key, if the request has one.
    pub idempotency_key: Option<String>,
    /// What the mapper made of the payload.
    pub content: Content,
}

/// What the mapper made of a payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// The records to import, in payload order.
    Records(Vec<Record<'static>>),
    /// The payload was refused; the e_9004 error body, kept so the request can be looked up.
    Rejected(String),
}

impl Entry {
    /// The records, or none for a refused payload.
    pub fn records(&self) -> &[Record<'static>] {
        match &self.content {
            Content::Records(records) => records,
            Content::Rejected(_) => &[],
        }
    }
}
