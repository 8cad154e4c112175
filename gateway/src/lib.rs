//! hookmap-gateway: the HTTP service that receives webhooks, maps them with compiled mappers
//! and stores the records durably before answering.
//!
//! ```ignore
//! let config = Config::from_file(path)?;
//! let store = Arc::new(SqliteStore::open(db, config.idempotency_window())?);
//! let gateway = Gateway::new(&config, hookmap_gateway::registry()?, store)?;
//! gateway.serve(tokio::net::TcpListener::bind(addr).await?, shutdown_signal).await?;
//! ```
//!
//! See `docs/gateway.md` for the endpoints, answers and storage model.
#![forbid(unsafe_code)]

// The roles, and the log they share.
pub mod delivery;
pub mod import;
pub mod ingest;
pub mod log;

// What every role's HTTP side uses.
pub mod answer;
pub mod auth;
pub mod config;
pub mod ids;
pub mod listen;
pub mod mappers;
pub mod metrics;
pub mod ops;
mod server;

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use config::Config;
pub use import::store::{self, SqliteStore, Store};
pub use ingest::registry::{self, Registry};

/// The registry of the mappers compiled into this crate ([`mappers::MAPPERS`]).
pub fn registry() -> Result<Registry, registry::DuplicateMapper> {
    Registry::new(mappers::MAPPERS.iter().copied())
}

/// Milliseconds since the epoch (0 for a clock set before 1970).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Config {
    /// How long idempotency keys are remembered.
    pub fn idempotency_window(&self) -> Duration {
        Duration::from_secs(self.idempotency.window_seconds)
    }
}

/// A configured gateway, ready to serve.
#[derive(Debug)]
pub struct Gateway {
    state: Arc<server::AppState>,
    /// The embedded mode's group-commit writer.
    writer_thread: Option<JoinHandle<()>>,
    /// Tasks that live as long as the gateway serves.
    background: Vec<tokio::task::JoinHandle<()>>,
    /// The forwarders to the Data API, when a workspace has a destination.
    delivery: Option<delivery::Running>,
    limits: listen::Limits,
    ops_listen: Option<String>,
    ops_listener: Option<tokio::net::TcpListener>,
}

fn invalid(e: config::ConfigError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
}

impl Gateway {
    /// The embedded gateway: starts the writer thread over `store` and sets up the routes.
    /// `config` should have been validated ([`Config::validate`]).
    pub fn new(config: &Config, registry: Registry, store: Arc<dyn Store>) -> std::io::Result<Gateway> {
        let metrics = Arc::new(metrics::Metrics::default());
        // Before the writer starts, so every entry it imports for these workspaces is queued.
        let delivery = delivery::start(config, &*store).map_err(std::io::Error::other)?;
        let (writer, writer_thread) =
            import::writer::Writer::spawn(store.clone(), config.writer, metrics.clone())?;
        let sink = Some(ingest::sink::Sink::Store(writer));
        let shared = delivery.as_ref().map(|d| d.shared.clone());
        let state = server::AppState::new(config, registry, sink, Some(store), None, shared, metrics)
            .map_err(invalid)?;
        Ok(Gateway {
            state: Arc::new(state),
            writer_thread: Some(writer_thread),
            background: Vec::new(),
            delivery,
            limits: config.limits,
            ops_listen: config.ops.listen.clone(),
            ops_listener: None,
        })
    }

    /// A broker-mode gateway: accepted requests go to `broker`'s stream, and the look-ups (and
    /// delivery) are the importer's. Call it inside a Tokio runtime: with shared rate limits
    /// on, it starts the task that counts the live gateways.
    pub fn with_broker(
        config: &Config,
        registry: Registry,
        broker: log::jetstream::Broker,
    ) -> std::io::Result<Gateway> {
        let metrics = Arc::new(metrics::Metrics::default());
        let sink = Some(ingest::sink::Sink::Broker(Box::new(broker.clone())));
        let state = server::AppState::new(config, registry, sink, None, Some(broker.clone()), None, metrics)
            .map_err(invalid)?;
        let state = Arc::new(state);
        let mut background = Vec::new();
        if broker.config().share_rate_limits {
            background.push(ingest::shared_limit::spawn(broker, state.clone()));
        }
        Ok(Gateway {
            state,
            writer_thread: None,
            background,
            delivery: None,
            limits: config.limits,
            ops_listen: config.ops.listen.clone(),
            ops_listener: None,
        })
    }

    /// Binds `ops.listen`, when the config has one, and returns its address (`serve` binds it
    /// otherwise; call this first to learn a port 0 address).
    pub async fn bind_ops(&mut self) -> std::io::Result<Option<std::net::SocketAddr>> {
        if self.ops_listener.is_none()
            && let Some(addr) = &self.ops_listen
        {
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot listen on {addr} (ops.listen): {e}"))
            })?;
            self.ops_listener = Some(listener);
        }
        self.ops_listener.as_ref().map(|l| l.local_addr()).transpose()
    }

    /// The routes, for serving them some other way (the writer stays up as long as a router
    /// is alive).
    pub fn router(&self) -> axum::Router {
        server::router(self.state.clone())
    }

    /// Serves on `listener` (and the ops listener) until `shutdown` completes, then lets open
    /// requests finish and waits for the writer to commit what it was given.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let mut this = self;
        this.bind_ops().await?;
        let Gateway { state, writer_thread, background, delivery, limits, ops_listener, .. } = this;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        match ops_listener {
            None => listen::serve(listener, server::router(state), limits, stop_rx).await?,
            Some(ops_listener) => {
                let ingest = listen::serve(
                    listener,
                    server::router_of(state.clone(), server::Part::Ingest),
                    limits,
                    stop_rx.clone(),
                );
                let ops =
                    listen::serve(ops_listener, server::router_of(state, server::Part::Ops), limits, stop_rx);
                let (a, b) = tokio::join!(ingest, ops);
                a?;
                b?;
            }
        }
        for task in background {
            task.abort();
        }
        // The router and every connection are gone, so is the writer's last handle: the
        // thread drains its queue and ends.
        let written = match writer_thread {
            Some(thread) => tokio::task::spawn_blocking(move || thread.join())
                .await
                .map_err(std::io::Error::other)?
                .map_err(|_| std::io::Error::other("the writer thread panicked")),
            None => Ok(()),
        };
        // Then the forwarders; what they had not finished is delivered at the next start.
        if let Some(delivery) = delivery {
            delivery.stop_async().await?;
        }
        written
    }
}
