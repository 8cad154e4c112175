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
    limits: listen::Limits,
    ops_listen: Option<String>,
    ops_listener: Option<tokio::net::TcpListener>,
}

impl Gateway {
    /// Starts the writer thread over `store` and sets up the routes. `config` should have been
    /// validated ([`Config::validate`]).
    pub fn new(config: &Config, registry: Registry, store: Arc<dyn Store>) -> std::io::Result<Gateway> {
        let var = |name: &str| std::env::var(name).ok();
        let invalid =
            |e: config::ConfigError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string());
        let workspaces: Vec<&str> = config.workspaces.iter().map(|w| w.id.as_str()).collect();
        let signatures =
            ingest::signature::Signatures::new(&config.signed, &workspaces, &var).map_err(invalid)?;
        let ops_token = ops::OpsToken::from_config(&config.ops, &var).map_err(invalid)?;
        let metrics = Arc::new(metrics::Metrics::default());
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
            signatures,
            ops_token,
        });
        Ok(Gateway {
            state,
            writer_thread,
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

    /// Serves on `listener` until `shutdown` completes, then lets open requests finish and
    /// waits for the writer to commit what it was given.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let mut this = self;
        this.bind_ops().await?;
        let Gateway { state, writer_thread, limits, ops_listener, .. } = this;
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
        // The router and every connection are gone, so is the writer's last handle: the
        // thread drains its queue and ends.
        tokio::task::spawn_blocking(move || writer_thread.join())
            .await
            .map_err(std::io::Error::other)?
            .map_err(|_| std::io::Error::other("the writer thread panicked"))
    }
}
