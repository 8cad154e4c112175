//! Delivery: records forwarded to MoEngage's Data API, retried, rate limited, never lost.
//!
//! A forwarder task per workspace with a destination reads log entries through [`Source`],
//! turns their records into Data API elements ([`elements`]), checks each against the Data
//! API's rules, sends them in bulk calls of at most 100 KB, and records per request where
//! delivery stands ([`state`]). Elements that cannot be delivered become dead-letter items that
//! can be listed and retried over HTTP ([`http`]). See `docs/delivery.md`.

pub mod client;
pub mod elements;
mod forwarder;
pub(crate) mod http;
pub mod outbox;
pub mod state;
pub mod stream;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tokio::sync::{Notify, watch};

pub use state::DeliveryView;

use crate::config::{Config, DestinationConfig};
use crate::import::store::Store;
use crate::log::Entry;

/// A boxed future, so [`Source`] stays object safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A log entry at its position, or why the bytes there could not be read.
pub type SourceItem = (u64, Result<Entry, String>);

/// A failure of the log.
#[derive(Debug, Clone)]
pub struct SourceError(pub String);

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the forwarder reads log entries: per workspace, in accepted order, each position
/// committed once delivered. Implemented by the embedded log's outbox
/// ([`outbox::OutboxSource`]); a broker's durable consumer can implement it too.
///
/// Positions increase within a workspace. The forwarder commits every batch before asking for
/// the next, and remembers the last position it applied, so `next` may return entries already
/// handed out (after a crash, before their commit): they are skipped, not delivered twice.
pub trait Source: Send + Sync + 'static {
    /// Up to `max` of `workspace`'s oldest entries not yet committed; waits until there is at
    /// least one. Must be cancel-safe: a dropped call loses nothing.
    fn next<'a>(
        &'a self,
        workspace: &'a str,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<SourceItem>, SourceError>>;

    /// Marks every entry of `workspace` up to and including `through` as done.
    fn commit<'a>(&'a self, workspace: &'a str, through: u64) -> BoxFuture<'a, Result<(), SourceError>>;

    /// How many entries of `workspace` wait (for the `queued` metric).
    fn backlog<'a>(&'a self, workspace: &'a str) -> BoxFuture<'a, Result<u64, SourceError>>;
}

/// Checks a destination's settings (the key is read when delivery starts).
pub fn validate_destination(d: &DestinationConfig) -> Result<(), String> {
    client::BaseUrl::parse(&d.url)?;
    match (&d.key_env, &d.key_file) {
        (Some(_), None) | (None, Some(_)) => {}
        _ => return Err("destination needs exactly one of key_env and key_file".into()),
    }
    if let Some(id) = &d.workspace_id
        && (id.is_empty() || id.contains([':', '/']))
    {
        return Err(format!("destination workspace_id {id:?} must be non-empty, without ':' or '/'"));
    }
    let l = &d.limits;
    if l.events_per_minute == 0 || l.users_per_minute == 0 {
        return Err("destination limits events_per_minute and users_per_minute must be positive".into());
    }
    if l.max_attempts == 0 || l.timeout_ms == 0 || l.batch_entries == 0 {
        return Err("destination limits max_attempts, timeout_ms and batch_entries must be positive".into());
    }
    Ok(())
}

/// A Data API key, read from the environment or a file. Never printed.
#[derive(Clone)]
pub(crate) struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

fn read_key(d: &DestinationConfig) -> Result<ApiKey, String> {
    let key = match (&d.key_env, &d.key_file) {
        (Some(var), _) => std::env::var(var)
            .map_err(|_| format!("environment variable {var} (the Data API key) is not set"))?,
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the Data API key file {}: {e}", path.display()))?,
        (None, None) => return Err("no Data API key configured".into()),
    };
    let key = key.trim();
    if key.is_empty() {
        return Err("the Data API key is empty".into());
    }
    Ok(ApiKey(key.to_owned()))
}

/// Metrics of one workspace's delivery.
#[derive(Debug, Default)]
pub(crate) struct WorkspaceMetrics {
    pub delivered: AtomicU64,
    pub dead: AtomicU64,
    pub retried: AtomicU64,
    pub held: AtomicU64,
    pub queued: AtomicU64,
    /// `received_at` of the oldest request being delivered (0: none), so the lag keeps growing
    /// while a batch is stuck.
    pub oldest_ms: AtomicU64,
    pub paused: AtomicU64,
    pub calls: Mutex<BTreeMap<String, u64>>,
}

impl WorkspaceMetrics {
    pub(crate) fn call(&self, status: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        *calls.entry(status.to_owned()).or_default() += 1;
    }
}

/// What the HTTP side and the forwarders share.
#[derive(Debug)]
pub struct Shared {
    pub(crate) state: state::StateDb,
    pub(crate) metrics: BTreeMap<String, Arc<WorkspaceMetrics>>,
    /// Wakes the forwarders when a dead item is queued for retry.
    pub(crate) retry_signal: Notify,
}

impl Shared {
    /// Whether `workspace` has delivery on.
    pub fn covers(&self, workspace: &str) -> bool {
        self.metrics.contains_key(workspace)
    }

    /// The delivery metrics in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        type Get = fn(&WorkspaceMetrics) -> u64;
        let series: [(&str, &str, &str, Get); 7] = [
            (
                "hookmap_delivery_elements_delivered_total",
                "counter",
                "Elements the Data API accepted.",
                |m| m.delivered.load(Relaxed),
            ),
            (
                "hookmap_delivery_elements_dead_total",
                "counter",
                "Elements put in the dead-letter list.",
                |m| m.dead.load(Relaxed),
            ),
            (
                "hookmap_delivery_retries_total",
                "counter",
                "Bulk calls made again after a failure or a 429.",
                |m| m.retried.load(Relaxed),
            ),
            (
                "hookmap_delivery_held_total",
                "counter",
                "Anonymous records held until their customer id is known.",
                |m| m.held.load(Relaxed),
            ),
            ("hookmap_delivery_queued", "gauge", "Log entries waiting for delivery.", |m| {
                m.queued.load(Relaxed)
            }),
            ("hookmap_delivery_lag_seconds", "gauge", "Age of the oldest entry waiting for delivery.", |m| {
                match m.oldest_ms.load(Relaxed) {
                    0 => 0,
                    oldest => (crate::now_ms().max(0) as u64).saturating_sub(oldest) / 1000,
                }
            }),
            (
                "hookmap_delivery_paused",
                "gauge",
                "1 while delivery is paused after 401/403 from the Data API.",
                |m| m.paused.load(Relaxed),
            ),
        ];
        for (name, kind, help, get) in series {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (ws, m) in &self.metrics {
                let _ = writeln!(out, "{name}{{workspace=\"{}\"}} {}", label(ws), get(m));
            }
        }
        let name = "hookmap_delivery_calls_total";
        let _ = writeln!(
            out,
            "# HELP {name} Data API calls by answer (status code, timeout or connection).\n# TYPE {name} counter"
        );
        for (ws, m) in &self.metrics {
            let calls = m.calls.lock().unwrap_or_else(|e| e.into_inner());
            for (status, n) in calls.iter() {
                let _ = writeln!(out, "{name}{{workspace=\"{}\",status=\"{status}\"}} {n}", label(ws));
            }
        }
    }
}

fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The running forwarders: a thread with its own runtime, a task per workspace.
#[derive(Debug)]
pub struct Running {
    pub(crate) shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// [`Running::stop`] from async code, on the blocking pool.
    pub async fn stop_async(self) -> std::io::Result<()> {
        tokio::task::spawn_blocking(move || self.stop()).await.map_err(std::io::Error::other)
    }

    /// Stops the forwarders (a call in flight finishes or times out first; a batch not finished
    /// is delivered again at the next start) and waits for them.
    pub fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts delivery for the workspaces of `config` with an enabled destination, reading the
/// embedded log's outbox of `store`. `None` when no workspace has one.
pub fn start(config: &Config, store: &dyn Store) -> Result<Option<Running>, String> {
    let workspaces = destinations(config)?;
    if workspaces.is_empty() {
        return Ok(None);
    }
    let ids: Vec<String> = workspaces.iter().map(|w| w.workspace.clone()).collect();
    let handle = store
        .enable_outbox(&ids)
        .map_err(|e| e.to_string())?
        .ok_or("this store cannot queue records for delivery")?;
    let state = state::StateDb::open(&handle.path).map_err(|e| e.to_string())?;
    let source: Arc<dyn Source> = Arc::new(outbox::OutboxSource::new(state.conn.clone(), &handle));
    spawn(workspaces, state, source).map(Some)
}

/// Starts delivery reading another log through `source` (a broker's durable consumer), keeping
/// its state in the SQLite file at `db`. `None` when no workspace has a destination.
pub fn start_with_source(
    config: &Config,
    db: &std::path::Path,
    source: Arc<dyn Source>,
) -> Result<Option<Running>, String> {
    let workspaces = destinations(config)?;
    if workspaces.is_empty() {
        return Ok(None);
    }
    let state = state::StateDb::open(db).map_err(|e| e.to_string())?;
    spawn(workspaces, state, source).map(Some)
}

fn destinations(config: &Config) -> Result<Vec<forwarder::Destination>, String> {
    let mut workspaces = Vec::new();
    for w in &config.workspaces {
        if let Some(d) = w.destination.as_ref().filter(|d| d.enabled) {
            validate_destination(d).map_err(|e| format!("workspace {}: {e}", w.id))?;
            let key = read_key(d).map_err(|e| format!("workspace {}: {e}", w.id))?;
            let base = client::BaseUrl::parse(&d.url)?;
            let remote_id = d.workspace_id.clone().unwrap_or_else(|| w.id.clone());
            workspaces.push(forwarder::Destination {
                workspace: w.id.clone(),
                remote_id,
                base,
                key,
                limits: d.limits,
            });
        }
    }
    Ok(workspaces)
}

fn spawn(
    workspaces: Vec<forwarder::Destination>,
    state: state::StateDb,
    source: Arc<dyn Source>,
) -> Result<Running, String> {
    let shared = Arc::new(Shared {
        state,
        metrics: workspaces.iter().map(|w| (w.workspace.clone(), Arc::default())).collect(),
        retry_signal: Notify::new(),
    });
    let (stop, stopped) = watch::channel(false);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the delivery runtime: {e}"))?;
    let client = client::Client::new()?;
    let thread_shared = shared.clone();
    let thread = std::thread::Builder::new()
        .name("hookmap-delivery".into())
        .spawn(move || {
            runtime.block_on(async move {
                let tasks: Vec<_> = workspaces
                    .into_iter()
                    .map(|d| {
                        let f = forwarder::Forwarder::new(
                            d,
                            source.clone(),
                            thread_shared.clone(),
                            client.clone(),
                        );
                        tokio::spawn(f.run(stopped.clone()))
                    })
                    .collect();
                for t in tasks {
                    if let Err(e) = t.await {
                        tracing::error!(error = %e, "a delivery task failed");
                    }
                }
            })
        })
        .map_err(|e| format!("cannot start the delivery thread: {e}"))?;
    Ok(Running { shared, stop, thread: Some(thread) })
}
