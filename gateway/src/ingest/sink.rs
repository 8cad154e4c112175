//! Where ingest appends an accepted request: the embedded log (the SQLite store, through the
//! group-commit writer) or the broker's stream.

use crate::import::store::WriteOutcome;
use crate::import::writer::Writer;
use crate::log::Entry;
use crate::log::jetstream::{AppendError, Appended as StreamAppended, Broker};

/// The log ingest appends to.
#[derive(Debug)]
pub enum Sink {
    /// Embedded: imported into the SQLite store in the transaction that makes it durable.
    Store(Writer),
    /// Broker: published to the JetStream stream; importers apply it later.
    Broker(Box<Broker>),
}

/// What became of an appended entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Durable in the log. `imported` says how many records were applied (embedded mode, where
    /// appending is importing), or `None` when an importer will apply them later.
    Accepted {
        /// Records applied now, less those skipped for `update_existing_only`.
        imported: Option<usize>,
    },
    /// The payload was refused and its refusal is recorded.
    Rejected,
    /// A repeat of the request with this id; nothing new was appended.
    Duplicate {
        /// The first request's id.
        request_id: String,
    },
}

/// Why an entry was not appended; nothing of it may be reported as accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkError {
    /// The log is out of reach for now (503 with Retry-After).
    Unavailable(String),
    /// Anything else (500).
    Failed(String),
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkError::Unavailable(m) => write!(f, "log unavailable: {m}"),
            SinkError::Failed(m) => f.write_str(m),
        }
    }
}

impl Sink {
    /// Appends `entry` and waits until the log has it durably.
    pub async fn append(&self, entry: Entry) -> Result<Appended, SinkError> {
        match self {
            Sink::Store(writer) => match writer.submit(entry).await {
                Ok(WriteOutcome::Imported { records, skipped }) => {
                    Ok(Appended::Accepted { imported: Some(records - skipped) })
                }
                Ok(WriteOutcome::Rejected) => Ok(Appended::Rejected),
                Ok(WriteOutcome::Duplicate { request_id }) => Ok(Appended::Duplicate { request_id }),
                Err(e) => Err(SinkError::Failed(e.0)),
            },
            Sink::Broker(broker) => {
                let rejected = matches!(entry.content, crate::log::Content::Rejected(_));
                match broker.append(&entry).await {
                    Ok(StreamAppended::Stored { .. }) if rejected => Ok(Appended::Rejected),
                    Ok(StreamAppended::Stored { .. }) => Ok(Appended::Accepted { imported: None }),
                    Ok(StreamAppended::Duplicate { request_id }) => Ok(Appended::Duplicate { request_id }),
                    Err(AppendError::Unavailable(m)) => Err(SinkError::Unavailable(m)),
                    Err(AppendError::Failed(m)) => Err(SinkError::Failed(m)),
                }
            }
        }
    }

    /// Whether appending can work now (the readiness `/healthz` reports).
    pub fn ready(&self) -> bool {
        match self {
            Sink::Store(_) => true,
            Sink::Broker(broker) => broker.connected(),
        }
    }
}
