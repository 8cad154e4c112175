//! The importer of broker mode: reads the stream with a durable consumer and applies every
//! entry to the SQLite store exactly once.
//!
//! Exactly once, although JetStream delivers at least once: the store records, in the
//! transaction that applies a batch, the stream sequence it applied through, and skips what it
//! finds at or below it. A kill between the commit and the acknowledgement redelivers a batch
//! that is then skipped; a kill before the commit leaves nothing applied and the batch comes
//! again.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::config::Config;
use crate::import::store::Store;
use crate::log::jetstream::{Ack, Broker, BrokerError, Consumer, Read};
use crate::metrics::Metrics;
use crate::registry::Registry;
use crate::server::{self, AppState};

/// The durable consumer's name unless told otherwise.
pub const DEFAULT_CONSUMER: &str = "hookmap-import";

/// Messages applied in one transaction at most.
const BATCH: usize = 1024;
/// How long a fetch waits for the first message.
const FETCH_WAIT: Duration = Duration::from_millis(500);
/// How often the lag is read from the broker for `/metrics`.
const LAG_EVERY: Duration = Duration::from_secs(1);
/// Wait before retrying after the broker or the store failed.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// A running importer and the look-ups it serves.
#[derive(Debug)]
pub struct Importer {
    state: Arc<AppState>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// The forwarders to the Data API, reading the stream with consumers of their own.
    delivery: Option<crate::delivery::Running>,
}

impl Importer {
    /// Opens the durable consumer `consumer` and starts applying the stream to `store` (the
    /// SQLite file at `db`). Workspaces with a destination are delivered from the stream too,
    /// with their delivery state kept in the same file.
    pub async fn start(
        config: &Config,
        broker: Broker,
        store: Arc<dyn Store>,
        db: &std::path::Path,
        consumer: &str,
    ) -> Result<Importer, BrokerError> {
        let applied = {
            let (store, name) = (store.clone(), consumer.to_owned());
            tokio::task::spawn_blocking(move || store.log_position(&name))
                .await
                .map_err(|e| BrokerError(e.to_string()))?
                .map_err(|e| BrokerError(format!("cannot read the import position: {e}")))?
        };
        let reader = broker.consumer(consumer, None, applied).await?;
        let source = Arc::new(crate::delivery::stream::StreamSource::new(broker.clone()));
        let delivery = crate::delivery::start_with_source(config, db, source).map_err(BrokerError)?;
        let metrics = Arc::new(Metrics::default());
        let state = Arc::new(
            AppState::new(
                config,
                Registry::default(),
                None,
                Some(store.clone()),
                Some(broker.clone()),
                delivery.as_ref().map(|d| d.shared.clone()),
                metrics.clone(),
            )
            .map_err(|e| BrokerError(e.to_string()))?,
        );
        let (stop, stopped) = watch::channel(false);
        let position = Position { applied, name: consumer.to_owned() };
        tokio::spawn(sample_lag(broker.clone(), consumer.to_owned(), metrics.clone(), stopped.clone()));
        let task = tokio::spawn(run(broker, reader, store, position, metrics, stopped));
        Ok(Importer { state, stop, task, delivery })
    }

    /// The look-up routes, `/healthz` and `/metrics`.
    pub fn router(&self) -> axum::Router {
        server::router(self.state.clone())
    }

    /// Serves the look-ups on `listener` until `shutdown`, then lets the batch being applied
    /// finish and stops.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = server::router(self.state.clone());
        axum::serve(listener, router).with_graceful_shutdown(shutdown).await?;
        let _ = self.stop.send(true);
        let imported = self.task.await.map_err(std::io::Error::other);
        if let Some(delivery) = self.delivery {
            delivery.stop_async().await?;
        }
        imported
    }
}

/// Where the importer stands: its consumer's name and the sequence it has applied through.
struct Position {
    name: String,
    applied: u64,
}

/// Reads the consumer's lag and the stream's last sequence for `/metrics` every [`LAG_EVERY`]
/// until the importer stops. On a task of its own, so the gauges go on showing the backlog while
/// the importer waits on a fetch or an acknowledgement (after a server dies, for seconds): read
/// between batches, they froze at their last value, often nothing pending, when it was largest.
async fn sample_lag(broker: Broker, name: String, metrics: Arc<Metrics>, mut stopped: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(LAG_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !*stopped.borrow() {
        tokio::select! {
            _ = every.tick() => {}
            _ = stopped.changed() => break,
        }
        match broker.consumer_lag(&name).await {
            Ok((pending, last)) => metrics.set_import_lag(pending, last),
            Err(e) => tracing::debug!(error = %e, "cannot read the consumer's lag"),
        }
    }
}

async fn run(
    broker: Broker,
    mut consumer: Consumer,
    store: Arc<dyn Store>,
    position: Position,
    metrics: Arc<Metrics>,
    mut stopped: watch::Receiver<bool>,
) {
    let Position { name, mut applied } = position;
    metrics.set_import_applied(applied);
    tracing::info!(consumer = %name, position = applied, "importing from the stream");
    while !*stopped.borrow() {
        let fetched = tokio::select! {
            fetched = consumer.fetch(BATCH, FETCH_WAIT) => fetched,
            _ = stopped.changed() => break,
        };
        let (mut reads, mut acks): (Vec<Read>, Vec<Ack>) = match fetched {
            Ok(batch) => batch.into_iter().unzip(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the stream; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
        };
        // A hole inside the batch (messages between two of it went to an earlier, lost fetch):
        // apply the part before the hole; the next fetch starts after it, which the check below
        // sees as out of order and reads again from the position.
        let whole =
            reads.windows(2).position(|w| w[1].sequence != w[0].sequence + 1).map_or(reads.len(), |i| i + 1);
        if whole < reads.len() {
            tracing::warn!(
                after = reads[whole - 1].sequence,
                next = reads[whole].sequence,
                "a hole inside a batch; applying the part before it"
            );
            reads.truncate(whole);
            acks.truncate(whole);
        }
        let Some(through) = reads.last().map(|r| r.sequence) else { continue };
        if let Some(first) = reads.first().map(|r| r.sequence)
            && first > applied + 1
        {
            // Messages are missing between what was applied and this batch: delivered earlier
            // and never acknowledged, they would come back later, behind these. Start again
            // right after the applied position, unless the stream no longer has them.
            match broker.first_sequence().await {
                Ok(oldest) if oldest > applied + 1 => {
                    let lost = oldest - applied - 1;
                    tracing::error!(
                        lost,
                        from = applied + 1,
                        "entries aged out of the stream before they were imported"
                    );
                    metrics.add_import_failures(lost as usize);
                }
                _ => {
                    tracing::warn!(
                        expected = applied + 1,
                        got = first,
                        "out of order; reading again from the position"
                    );
                    match broker.consumer(&name, None, applied).await {
                        Ok(fresh) => consumer = fresh,
                        Err(e) => tracing::warn!(error = %e, "cannot reset the consumer; retrying"),
                    }
                    tokio::time::sleep(RETRY_AFTER).await;
                    continue;
                }
            }
        }
        // Acknowledging the last message acknowledges the batch.
        let ack = acks.into_iter().last();
        if through > applied {
            let mut entries = Vec::with_capacity(reads.len());
            let mut unreadable = Vec::new();
            for read in reads.into_iter().filter(|r| r.sequence > applied) {
                match read.entry {
                    // The stream already decided repeats (Nats-Msg-Id): an entry in it is a
                    // request that was answered 200 under its own id, so it is imported even
                    // if the store remembers its key from outside the stream's window.
                    Ok(mut entry) => {
                        entry.idempotency_key = None;
                        entries.push((read.sequence, entry));
                    }
                    Err(e) => {
                        tracing::error!(sequence = read.sequence, error = %e, "unreadable stream message recorded as a failure");
                        unreadable.push((read.sequence, e.to_string()));
                    }
                }
            }
            let (entries, unreadable) = (Arc::new(entries), Arc::new(unreadable));
            // Until it commits: a store that fails (a full disk) is retried with the same batch,
            // which stays unacknowledged meanwhile.
            loop {
                let (store, name, e2, u2) =
                    (store.clone(), name.clone(), entries.clone(), unreadable.clone());
                let started = Instant::now();
                let result =
                    tokio::task::spawn_blocking(move || store.import_from_log(&name, through, &e2, &u2))
                        .await;
                match result {
                    Ok(Ok(outcomes)) => {
                        metrics.observe_group(outcomes.len(), started.elapsed());
                        let failed = outcomes.iter().filter(|o| o.is_err()).count() + unreadable.len();
                        metrics.add_import_failures(failed);
                        let imported: usize = outcomes
                            .iter()
                            .filter_map(|o| match o {
                                Ok(crate::store::WriteOutcome::Imported { records, skipped }) => {
                                    Some(records - skipped)
                                }
                                _ => None,
                            })
                            .sum();
                        metrics.add_records(imported);
                        break;
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "import failed; retrying the batch"),
                    Err(e) => tracing::error!(error = %e, "import failed; retrying the batch"),
                }
                if *stopped.borrow() {
                    // Not applied and not acknowledged: the next importer gets it again.
                    return;
                }
                tokio::time::sleep(RETRY_AFTER).await;
            }
            applied = through;
            metrics.set_import_applied(applied);
        }
        // Housekeeping between batches, as the embedded writer does between groups: rewinding
        // the write-ahead log (without it the log grows for as long as the importer runs).
        let store2 = store.clone();
        match tokio::task::spawn_blocking(move || store2.maintain(crate::now_ms())).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "store housekeeping failed; will retry"),
            Err(e) => tracing::warn!(error = %e, "store housekeeping failed; will retry"),
        }
        if let Some(ack) = ack
            && let Err(e) = ack.send().await
        {
            // Harmless: the batch comes again and is skipped by its sequence.
            tracing::warn!(error = %e, "acknowledgement lost; the batch will be redelivered and skipped");
        }
    }
}
