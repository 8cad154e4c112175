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
pub mod mappers;
pub mod metrics;
mod server;

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    writer_thread: JoinHandle<()>,
    delivery: Option<delivery::Running>,
}

impl Gateway {
    /// Starts the writer thread over `store` and sets up the routes. `config` should have been
    /// validated ([`Config::validate`]).
    pub fn new(config: &Config, registry: Registry, store: Arc<dyn Store>) -> std::io::Result<Gateway> {
        let metrics = Arc::new(metrics::Metrics::default());
        // Before the writer starts, so every entry it imports for these workspaces is queued.
        let delivery = delivery::start(config, &*store).map_err(std::io::Error::other)?;
        let (writer, writer_thread) =
            import::writer::Writer::spawn(store.clone(), config.writer, metrics.clone())?;
        let state = Arc::new(server::AppState {
            registry,
            credentials: auth::Credentials::new(&config.workspaces),
            limiter: ingest::ratelimit::RateLimiter::new(config, Instant::now()),
            writer,
            store,
            ids: ids::RequestIds::default(),
            metrics,
            max_body_bytes: config.max_body_bytes,
            body_timeout: std::time::Duration::from_secs(config.body_timeout_seconds),
            body_pointers: config.idempotency.body_pointers.clone(),
            delivery: delivery.as_ref().map(|d| d.shared.clone()),
        });
        Ok(Gateway { state, writer_thread, delivery })
    }

    /// The routes, for serving them some other way (the writer stays up as long as a router
    /// is alive).
    pub fn router(&self) -> axum::Router {
        server::router(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then lets open requests finish and
    /// waits for the writer to commit what it was given.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Gateway { state, writer_thread, delivery } = self;
        let router = server::router(state);
        axum::serve(listener, router).with_graceful_shutdown(shutdown).await?;
        // The router and every connection are gone, so is the writer's last handle: the
        // thread drains its queue and ends.
        let written = tokio::task::spawn_blocking(move || writer_thread.join())
            .await
            .map_err(std::io::Error::other)?
            .map_err(|_| std::io::Error::other("the writer thread panicked"));
        // Then the forwarders; what they had not finished is delivered at the next start.
        if let Some(delivery) = delivery {
            tokio::task::spawn_blocking(move || delivery.stop()).await.map_err(std::io::Error::other)?;
        }
        written
    }
}
