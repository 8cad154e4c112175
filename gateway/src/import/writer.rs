//! Group commit: one thread owns the store's write side and commits whatever requests have
//! queued up while the previous commit was syncing, in one transaction.
//!
//! Under load this turns N fsyncs into one without adding latency when idle: the writer never
//! waits for a group to fill, it takes what is there.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use crate::config::WriterConfig;
use crate::import::store::{Store, StoreError, WriteOutcome};
use crate::log::Entry;
use crate::metrics::Metrics;

struct Job {
    write: Entry,
    reply: oneshot::Sender<Result<WriteOutcome, StoreError>>,
}

/// The handle request handlers submit writes through. Cloning is cheap; the writer thread
/// ends once every handle is dropped and the queue is drained.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("request_id", &self.write.request_id).finish()
    }
}

impl Writer {
    /// Starts the writer thread.
    pub fn spawn(
        store: Arc<dyn Store>,
        config: WriterConfig,
        metrics: Arc<Metrics>,
    ) -> std::io::Result<(Writer, thread::JoinHandle<()>)> {
        let (queue, rx) = mpsc::channel(config.queue);
        let handle = thread::Builder::new()
            .name("hookmap-writer".into())
            .spawn(move || run(store, rx, config.max_group, metrics))?;
        Ok((Writer { queue }, handle))
    }

    /// Queues `write` and waits until it is committed (or failed). Waits for room when the
    /// queue is full, which slows senders down instead of growing memory without bound.
    pub async fn submit(&self, write: Entry) -> Result<WriteOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job { write, reply })
            .await
            .map_err(|_| StoreError("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError("the writer stopped before committing".into()))?
    }
}

fn run(store: Arc<dyn Store>, mut rx: mpsc::Receiver<Job>, max_group: usize, metrics: Arc<Metrics>) {
    let mut writes = Vec::with_capacity(max_group);
    let mut replies = Vec::with_capacity(max_group);
    while let Some(first) = rx.blocking_recv() {
        writes.push(first.write);
        replies.push(first.reply);
        while writes.len() < max_group {
            match rx.try_recv() {
                Ok(job) => {
                    writes.push(job.write);
                    replies.push(job.reply);
                }
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let result = store.write_group(&writes);
        metrics.observe_group(writes.len(), started.elapsed());
        match result {
            Ok(outcomes) => {
                for (reply, outcome) in replies.drain(..).zip(outcomes) {
                    // The requester may have gone (client disconnected); its records are
                    // stored all the same, and the request can be looked up.
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, group = writes.len(), "commit failed; the group was not stored");
                for reply in replies.drain(..) {
                    let _ = reply.send(Err(StoreError(e.0.clone())));
                }
            }
        }
        // `drain(..)` above emptied `replies` even where a store returned too few outcomes: those
        // senders were dropped, which their requesters see as an error, never a false success.
        writes.clear();

        if let Err(e) = store.maintain(crate::now_ms()) {
            tracing::warn!(error = %e, "store housekeeping failed; will retry");
        }
    }
}
