//! The embedded log's delivery queue: the `outbox` table of the SQLite file.
//!
//! The group-commit writer adds a row for every imported entry of a workspace with delivery on,
//! in the transaction that imports the entry, holding the entry in the log encoding
//! ([`crate::log::encoding`]). The forwarder reads it through [`Source`]; committing a position
//! deletes the rows up to it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::Notify;

use super::{BoxFuture, Source, SourceError, SourceItem};
use crate::import::store::StoreError;
use crate::log::{Entry, encoding};

/// What the store needs to queue entries: the workspaces with delivery on, and a signal for
/// the forwarders.
#[derive(Debug)]
pub struct Enabled {
    workspaces: HashSet<String>,
    signal: Arc<Notify>,
    queued: AtomicBool,
}

impl Enabled {
    pub(crate) fn new(workspaces: &[String]) -> Self {
        Enabled {
            workspaces: workspaces.iter().cloned().collect(),
            signal: Arc::new(Notify::new()),
            queued: AtomicBool::new(false),
        }
    }

    pub(crate) fn signal(&self) -> Arc<Notify> {
        self.signal.clone()
    }

    /// Queues `entry` when its workspace has delivery on (inside the caller's transaction).
    pub(crate) fn queue(&self, conn: &Connection, entry: &Entry) -> Result<(), StoreError> {
        if !self.workspaces.contains(&*entry.workspace) {
            return Ok(());
        }
        conn.prepare_cached("INSERT INTO outbox (workspace, entry) VALUES (?1, ?2)")?
            .execute(params![&*entry.workspace, encoding::encode(entry)])?;
        conn.prepare_cached(
            "INSERT INTO delivery_requests (request_id, workspace, state, updated_at) VALUES (?1, ?2, 'queued', ?3)
             ON CONFLICT (request_id) DO NOTHING",
        )?
        .execute(params![entry.request_id, &*entry.workspace, entry.received_at_ms])?;
        self.queued.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// Called after a commit: wakes the forwarders when it queued something.
pub(crate) fn committed(outbox: Option<&Enabled>) {
    if let Some(outbox) = outbox
        && outbox.queued.swap(false, Ordering::Relaxed)
    {
        outbox.signal.notify_waiters();
    }
}

/// Where the outbox is, and the signal its writer gives after queuing.
#[derive(Clone, Debug)]
pub struct Handle {
    /// The SQLite file.
    pub path: PathBuf,
    /// Notified after every commit that queued entries.
    pub signal: Arc<Notify>,
}

/// The outbox as a [`Source`].
#[derive(Debug)]
pub struct OutboxSource {
    conn: Arc<Mutex<Connection>>,
    signal: Arc<Notify>,
}

/// Without a signal (a writer in another process), the outbox is looked at this often.
const POLL: Duration = Duration::from_millis(500);

impl OutboxSource {
    /// Reads the outbox of `handle` over `conn` (a connection to the same file).
    pub fn new(conn: Arc<Mutex<Connection>>, handle: &Handle) -> Self {
        OutboxSource { conn, signal: handle.signal.clone() }
    }

    fn read(&self, workspace: &str, max: usize) -> Result<Vec<SourceItem>, SourceError> {
        let conn = super::state::lock(&self.conn);
        let mut stmt = conn
            .prepare_cached("SELECT seq, entry FROM outbox WHERE workspace = ?1 ORDER BY seq LIMIT ?2")
            .map_err(err)?;
        let rows = stmt
            .query_map(params![workspace, max as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, bytes) = row.map_err(err)?;
            out.push((seq as u64, encoding::decode(&bytes).map_err(|e| e.to_string())));
        }
        Ok(out)
    }
}

fn err(e: rusqlite::Error) -> SourceError {
    SourceError(e.to_string())
}

impl Source for OutboxSource {
    fn next<'a>(
        &'a self,
        workspace: &'a str,
        max: usize,
    ) -> BoxFuture<'a, Result<Vec<SourceItem>, SourceError>> {
        Box::pin(async move {
            loop {
                // Registered before looking, so a commit between the look and the wait is seen.
                let notified = self.signal.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let items = self.read(workspace, max.max(1))?;
                if !items.is_empty() {
                    return Ok(items);
                }
                let _ = tokio::time::timeout(POLL, notified).await;
            }
        })
    }

    fn commit<'a>(&'a self, workspace: &'a str, through: u64) -> BoxFuture<'a, Result<(), SourceError>> {
        Box::pin(async move {
            let mut conn = super::state::lock(&self.conn);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
            tx.execute(
                "DELETE FROM outbox WHERE workspace = ?1 AND seq <= ?2",
                params![workspace, through as i64],
            )
            .map_err(err)?;
            tx.commit().map_err(err)
        })
    }

    fn backlog<'a>(&'a self, workspace: &'a str) -> BoxFuture<'a, Result<u64, SourceError>> {
        Box::pin(async move {
            let conn = super::state::lock(&self.conn);
            let n: Option<i64> = conn
                .query_row("SELECT count(*) FROM outbox WHERE workspace = ?1", params![workspace], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(err)?;
            Ok(n.unwrap_or(0).max(0) as u64)
        })
    }
}
