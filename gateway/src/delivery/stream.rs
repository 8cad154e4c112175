//! The broker's stream as a delivery [`Source`]: a durable consumer per workspace, reading only
//! that workspace's subject, so a paused or slow workspace never holds up another's messages.
//!
//! Fetched messages stay in a buffer until the forwarder commits them; the commit acknowledges
//! the last one, which (ack policy "all") acknowledges every earlier one. A fetch runs on a task
//! of its own that holds the workspace's buffer, so a `next` call that is dropped halfway loses
//! nothing: what the task fetched is in the buffer for the next call.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{BoxFuture, Source, SourceError, SourceItem};
use crate::log::Entry;
use crate::log::jetstream::{Ack, Broker, Consumer, subject};

/// How long one fetch waits for a first message before it asks again.
const FETCH_WAIT: Duration = Duration::from_secs(1);

/// The stream, read per workspace.
#[derive(Debug)]
pub struct StreamSource {
    broker: Broker,
    readers: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Reader>>>>,
}

#[derive(Debug, Default)]
struct Reader {
    consumer: Option<Consumer>,
    /// Fetched, not yet committed, in stream order.
    buffer: VecDeque<(u64, Result<Entry, String>, Ack)>,
}

impl Reader {
    async fn consumer(&mut self, broker: &Broker, workspace: &str) -> Result<&mut Consumer, SourceError> {
        if self.consumer.is_none() {
            // Workspace ids are single subject tokens (checked when a broker is configured),
            // which is also what a consumer name may be.
            let name = format!("hookmap-deliver-{workspace}");
            // Positioned after its last acknowledgement, which the forwarder sends when it
            // commits a batch.
            let consumer = broker.consumer(&name, Some(subject(workspace)), 0).await.map_err(source_error)?;
            self.consumer = Some(consumer);
        }
        self.consumer.as_mut().ok_or_else(|| SourceError("no consumer".into()))
    }
}

fn source_error(e: impl std::fmt::Display) -> SourceError {
    SourceError(e.to_string())
}

impl StreamSource {
    /// Reads `broker`'s stream.
    pub fn new(broker: Broker) -> StreamSource {
        StreamSource { broker, readers: Mutex::default() }
    }

    fn reader(&self, workspace: &str) -> Arc<tokio::sync::Mutex<Reader>> {
        let mut readers = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        readers.entry(workspace.to_owned()).or_default().clone()
    }
}

impl Source for StreamSource {
    fn next<'a>(
        &'a self,
        workspace: &'a str,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<SourceItem>, SourceError>> {
        let reader = self.reader(workspace);
        let broker = self.broker.clone();
        let workspace = workspace.to_owned();
        let max = max.max(1);
        Box::pin(async move {
            let fetch = tokio::spawn(async move {
                let mut reader = reader.lock_owned().await;
                while reader.buffer.is_empty() {
                    let reads = reader.consumer(&broker, &workspace).await?.fetch(max, FETCH_WAIT).await;
                    for (read, ack) in reads.map_err(source_error)? {
                        reader.buffer.push_back((read.sequence, read.entry.map_err(|e| e.to_string()), ack));
                    }
                }
                Ok(reader.buffer.iter().take(max).map(|(seq, entry, _)| (*seq, entry.clone())).collect())
            });
            fetch.await.map_err(source_error)?
        })
    }

    fn commit<'a>(&'a self, workspace: &'a str, through: u64) -> BoxFuture<'a, Result<(), SourceError>> {
        let reader = self.reader(workspace);
        Box::pin(async move {
            let mut reader = reader.lock().await;
            let mut last = None;
            while reader.buffer.front().is_some_and(|(seq, _, _)| *seq <= through) {
                last = reader.buffer.pop_front().map(|(_, _, ack)| ack);
            }
            // A lost acknowledgement only means the messages come again, and the forwarder
            // skips positions it has applied.
            match last {
                Some(ack) => ack.send().await.map_err(source_error),
                None => Ok(()),
            }
        })
    }

    fn backlog<'a>(&'a self, workspace: &'a str) -> BoxFuture<'a, Result<u64, SourceError>> {
        let reader = self.reader(workspace);
        let broker = self.broker.clone();
        Box::pin(async move {
            let mut reader = reader.lock().await;
            let (pending, _) =
                reader.consumer(&broker, workspace).await?.lag().await.map_err(source_error)?;
            Ok(pending)
        })
    }
}
