//! The accept loop: hyper's HTTP/1 server on every accepted connection, with the limits a
//! public listener needs.
//!
//! Not `axum::serve`: it gives hyper no timer, so hyper's header-read timeout never fires and
//! a client that sends its headers a byte at a time (or nothing at all) holds a connection
//! forever; and it caps neither connections nor header size. Here:
//!
//! - at most `max_connections` connections are open at once (and never more than the process's
//!   file-descriptor limit leaves room for); further clients wait in the kernel's backlog;
//! - a request's head (request line and headers) must arrive within
//!   `header_read_timeout_seconds`, counted from when the connection starts waiting for it
//!   (also between keep-alive requests), or the connection is closed;
//! - the head may be at most `max_header_bytes` (hyper answers 431 past it) and 100 headers;
//! - an accept error (EMFILE, ENFILE, ENOBUFS) pauses accepting for 100 ms instead of spinning
//!   or stopping the server.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::config::ConfigError;

/// File descriptors kept free of connections for the database, its log and the process.
const RESERVED_FDS: u64 = 64;

/// Connection limits (`limits` in the config file).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most connections open at once (also bounded by the file-descriptor limit less 64).
    pub max_connections: usize,
    /// How long the head of a request may take to arrive, in seconds.
    pub header_read_timeout_seconds: u64,
    /// Largest request head (request line and headers), at least 8192.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_connections: 10_000, header_read_timeout_seconds: 10, max_header_bytes: 64 * 1024 }
    }
}

impl Limits {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_connections == 0 {
            return Err(ConfigError::new("limits.max_connections must be positive"));
        }
        if self.header_read_timeout_seconds == 0 {
            return Err(ConfigError::new("limits.header_read_timeout_seconds must be positive"));
        }
        if self.max_header_bytes < 8192 {
            return Err(ConfigError::new("limits.max_header_bytes must be at least 8192"));
        }
        Ok(())
    }

    /// The connection cap in force: `max_connections`, lowered to leave [`RESERVED_FDS`] of the
    /// process's soft file-descriptor limit (read from `/proc/self/limits` where there is one).
    pub fn effective_max_connections(&self) -> usize {
        match soft_fd_limit() {
            Some(fds) => {
                let room = usize::try_from(fds.saturating_sub(RESERVED_FDS).max(1)).unwrap_or(usize::MAX);
                self.max_connections.min(room)
            }
            None => self.max_connections,
        }
    }
}

fn soft_fd_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Serves `router` on `listener` until `shutdown` turns true, then stops accepting, lets each
/// connection finish the request it is serving, and returns once every connection is closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let cap = limits.effective_max_connections();
    let permits = Arc::new(Semaphore::new(cap));
    tracing::debug!(max_connections = cap, "accepting");
    // Every connection task holds a receiver; `closed()` resolves when the last is gone.
    let (open_tx, open_rx) = watch::channel(());
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_seconds))
        // hyper panics below 8192; `validate` refuses that, this keeps an unvalidated config safe.
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_headers(100);
    let builder = Arc::new(builder);
    loop {
        if *shutdown.borrow() {
            break;
        }
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.map_err(io::Error::other)?,
            _ = stopped(&mut shutdown) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // EMFILE and friends: wait for descriptors to free up, without spinning.
                        tracing::warn!(error = %e, "accept failed; pausing 100 ms");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                            _ = stopped(&mut shutdown) => break,
                        }
                    }
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let builder = builder.clone();
        let mut stop = shutdown.clone();
        let open = open_rx.clone();
        tokio::spawn(async move {
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended");
                    }
                }
                _ = async { let _ = stop.wait_for(|stop| *stop).await; } => {
                    // Finishes the request in flight (if any), then closes.
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(permit);
            drop(open);
        });
    }
    drop(listener);
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

/// Resolves once `shutdown` is true (or its sender is gone).
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Errors about one connection that went away before it was accepted: accept the next.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_validated_and_capped_by_descriptors() {
        assert!(Limits::default().validate().is_ok());
        assert!(Limits { max_header_bytes: 4096, ..Limits::default() }.validate().is_err());
        assert!(Limits { max_connections: 0, ..Limits::default() }.validate().is_err());
        assert!(Limits { header_read_timeout_seconds: 0, ..Limits::default() }.validate().is_err());
        let huge = Limits { max_connections: usize::MAX, ..Limits::default() };
        if let Some(fds) = soft_fd_limit() {
            assert!(huge.effective_max_connections() as u64 <= fds.saturating_sub(RESERVED_FDS).max(1));
        }
        assert_eq!(Limits { max_connections: 3, ..Limits::default() }.effective_max_connections(), 3);
    }
}
