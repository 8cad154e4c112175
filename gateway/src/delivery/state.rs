//! Delivery state in the SQLite file: per request where it stands, the dead-letter items, the
//! anonymous records held until their user is identified, and how far each workspace's
//! forwarder got.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::import::store::StoreError;

/// The delivery tables (created by the store when delivery is on, and by the forwarder).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    -- AUTOINCREMENT: positions must never be reused after the rows before them are deleted,
    -- since the forwarder skips positions it already applied.
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    entry     BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_workspace ON outbox (workspace, seq);
CREATE TABLE IF NOT EXISTS delivery_requests (
    request_id TEXT PRIMARY KEY,
    workspace  TEXT NOT NULL,
    state      TEXT NOT NULL,
    elements   INTEGER NOT NULL DEFAULT 0,
    delivered  INTEGER NOT NULL DEFAULT 0,
    dead       INTEGER NOT NULL DEFAULT 0,
    held       INTEGER NOT NULL DEFAULT 0,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS delivery_dead (
    id            INTEGER PRIMARY KEY,
    workspace     TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    element_index INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    element       TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (workspace, request_id, element_index)
);
CREATE INDEX IF NOT EXISTS delivery_dead_status ON delivery_dead (workspace, status, id);
CREATE TABLE IF NOT EXISTS delivery_held (
    seq          INTEGER PRIMARY KEY,
    workspace    TEXT NOT NULL,
    anon_id      TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    record_index INTEGER NOT NULL,
    entry        BLOB NOT NULL,
    UNIQUE (workspace, request_id, record_index)
);
CREATE INDEX IF NOT EXISTS delivery_held_anon ON delivery_held (workspace, anon_id, seq);
CREATE TABLE IF NOT EXISTS delivery_aliases (
    workspace   TEXT NOT NULL,
    anon_id     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (workspace, anon_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS delivery_progress (
    workspace TEXT PRIMARY KEY,
    through   INTEGER NOT NULL
) WITHOUT ROWID;
";

pub(crate) fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A request's delivery, as `GET /v1/requests/{id}` shows it under `delivery`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeliveryView {
    /// `queued`, `retrying`, `delivered`, `partially_delivered` (some elements dead), `dead`
    /// (all elements dead) or `held` (anonymous records waiting for their customer id).
    pub state: String,
    /// Elements made from the request's records.
    pub elements: u64,
    /// Elements the Data API accepted.
    pub delivered: u64,
    /// Elements in the dead-letter list.
    pub dead: u64,
    /// Anonymous records held.
    pub held: u64,
    /// Calls made for the request's current bulk call, when retrying.
    pub attempts: u64,
    /// The last failure, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
}

/// One dead-letter item, as `GET /v1/dead` lists it.
#[derive(Debug, Serialize)]
pub struct DeadItem {
    /// Its id, for `POST /v1/dead/{id}/retry`.
    pub id: i64,
    /// The request the element came from.
    pub request_id: String,
    /// `invalid` (breaks a Data API rule; not retryable), `refused` (the Data API answered
    /// 4xx), `exhausted` (retries used up) or `unreadable` (a log entry that could not be read).
    pub kind: String,
    /// Why.
    pub reason: String,
    /// `dead`, `retry` (queued again) or `delivered` (after a retry).
    pub status: String,
    /// Times it was sent.
    pub attempts: i64,
    /// The element exactly as it was (or would have been) sent.
    pub element: Box<RawValue>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
}

/// A dead-letter item to make.
#[derive(Debug)]
pub struct NewDead {
    pub request_id: String,
    pub element_index: i64,
    pub kind: &'static str,
    pub reason: String,
    pub element: String,
    pub attempts: i64,
}

/// How one request's counters change in a batch.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub elements: i64,
    pub delivered: i64,
    pub dead: i64,
    pub held: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// A record held back.
#[derive(Debug)]
pub struct NewHeld {
    pub anon_id: String,
    pub request_id: String,
    pub record_index: i64,
    pub entry: Vec<u8>,
}

/// Everything a batch changes, applied in one transaction.
#[derive(Debug, Default)]
pub struct BatchResult {
    pub tallies: Vec<(String, Tally)>,
    pub dead: Vec<NewDead>,
    pub held: Vec<NewHeld>,
    pub released: Vec<i64>,
    pub aliases: Vec<(String, String)>,
    pub through: Option<u64>,
}

/// Why a dead item cannot be retried.
#[derive(Debug)]
pub enum RetryRefusal {
    /// No such item in the workspace.
    NotFound,
    /// The element breaks a Data API rule: sending it again changes nothing.
    Invalid(String),
}

/// The delivery tables over one connection.
#[derive(Debug, Clone)]
pub struct StateDb {
    pub(crate) conn: Arc<Mutex<Connection>>,
}

impl StateDb {
    /// Opens a connection to the SQLite file at `path` and creates the tables.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError(format!("cannot open database {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(StateDb { conn: Arc::new(Mutex::new(conn)) })
    }

    /// The last position applied for `workspace`.
    pub fn progress(&self, workspace: &str) -> Result<Option<u64>, StoreError> {
        let conn = lock(&self.conn);
        let through: Option<i64> = conn
            .query_row(
                "SELECT through FROM delivery_progress WHERE workspace = ?1",
                params![workspace],
                |r| r.get(0),
            )
            .optional()?;
        Ok(through.map(|t| t as u64))
    }

    /// The aliases (anonymous id → customer id) of `workspace`.
    pub fn aliases(&self, workspace: &str) -> Result<HashMap<String, String>, StoreError> {
        let conn = lock(&self.conn);
        let mut stmt =
            conn.prepare("SELECT anon_id, customer_id FROM delivery_aliases WHERE workspace = ?1")?;
        let rows = stmt.query_map(params![workspace], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The records held for `anon_id`, oldest first: (id, record index, encoded entry).
    pub fn held(&self, workspace: &str, anon_id: &str) -> Result<Vec<(i64, i64, Vec<u8>)>, StoreError> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare_cached(
            "SELECT seq, record_index, entry FROM delivery_held WHERE workspace = ?1 AND anon_id = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![workspace, anon_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks requests as retrying.
    pub fn retrying(
        &self,
        request_ids: &[&str],
        attempts: u32,
        error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for id in request_ids {
            tx.prepare_cached(
                "UPDATE delivery_requests SET state = 'retrying', attempts = ?2, last_error = ?3, updated_at = ?4
                 WHERE request_id = ?1 AND state IN ('queued', 'retrying')",
            )?
            .execute(params![id, attempts, error, now_ms])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Applies a batch's outcome in one transaction.
    pub fn finish(&self, workspace: &str, batch: &BatchResult, now_ms: i64) -> Result<(), StoreError> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (request_id, t) in &batch.tallies {
            tx.prepare_cached(
                "INSERT INTO delivery_requests (request_id, workspace, state, elements, delivered, dead, held,
                                                attempts, last_error, updated_at)
                 VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (request_id) DO UPDATE SET
                    elements = elements + excluded.elements, delivered = delivered + excluded.delivered,
                    dead = dead + excluded.dead, held = held + excluded.held,
                    attempts = max(attempts, excluded.attempts),
                    last_error = coalesce(excluded.last_error, last_error), updated_at = excluded.updated_at",
            )?
            .execute(params![
                request_id,
                workspace,
                t.elements,
                t.delivered,
                t.dead,
                t.held,
                t.attempts,
                t.last_error,
                now_ms
            ])?;
            set_state(&tx, request_id)?;
        }
        for d in &batch.dead {
            tx.prepare_cached(
                "INSERT INTO delivery_dead (workspace, request_id, element_index, kind, reason, element, status,
                                            attempts, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'dead', ?7, ?8, ?8)
                 ON CONFLICT (workspace, request_id, element_index) DO NOTHING",
            )?
            .execute(params![workspace, d.request_id, d.element_index, d.kind, d.reason, d.element, d.attempts, now_ms])?;
        }
        for h in &batch.held {
            tx.prepare_cached(
                "INSERT INTO delivery_held (workspace, anon_id, request_id, record_index, entry)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (workspace, request_id, record_index) DO NOTHING",
            )?
            .execute(params![workspace, h.anon_id, h.request_id, h.record_index, h.entry])?;
        }
        for id in &batch.released {
            tx.prepare_cached("DELETE FROM delivery_held WHERE seq = ?1")?.execute(params![id])?;
        }
        for (anon, customer) in &batch.aliases {
            tx.prepare_cached(
                "INSERT INTO delivery_aliases (workspace, anon_id, customer_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (workspace, anon_id) DO NOTHING",
            )?
            .execute(params![workspace, anon, customer])?;
        }
        if let Some(through) = batch.through {
            tx.prepare_cached(
                "INSERT INTO delivery_progress (workspace, through) VALUES (?1, ?2)
                 ON CONFLICT (workspace) DO UPDATE SET through = max(through, excluded.through)",
            )?
            .execute(params![workspace, through as i64])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Dead items of `workspace` queued again by `POST /v1/dead/{id}/retry`: (id, request id, element).
    pub fn retries(
        &self,
        workspace: &str,
        max: usize,
    ) -> Result<Vec<(i64, String, String, i64)>, StoreError> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare_cached(
            "SELECT id, request_id, element, attempts FROM delivery_dead
             WHERE workspace = ?1 AND status = 'retry' ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![workspace, max as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records the result of sending retried dead items: delivered, or dead again with `reason`.
    pub fn retried(
        &self,
        ids: &[(i64, String)],
        outcome: Result<(), &str>,
        attempts: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut conn = lock(&self.conn);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (id, request_id) in ids {
            match outcome {
                Ok(()) => {
                    tx.prepare_cached(
                        "UPDATE delivery_dead SET status = 'delivered', attempts = attempts + ?2, updated_at = ?3 WHERE id = ?1",
                    )?
                    .execute(params![id, attempts, now_ms])?;
                    tx.prepare_cached(
                        "UPDATE delivery_requests SET delivered = delivered + 1, dead = max(dead - 1, 0), updated_at = ?2
                         WHERE request_id = ?1",
                    )?
                    .execute(params![request_id, now_ms])?;
                    set_state(&tx, request_id)?;
                }
                Err(reason) => {
                    tx.prepare_cached(
                        "UPDATE delivery_dead SET status = 'dead', reason = ?2, attempts = attempts + ?3, updated_at = ?4
                         WHERE id = ?1",
                    )?
                    .execute(params![id, reason, attempts, now_ms])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The delivery of one request.
    pub fn view(&self, workspace: &str, request_id: &str) -> Result<Option<DeliveryView>, StoreError> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare_cached(
            "SELECT state, elements, delivered, dead, held, attempts, last_error, updated_at
             FROM delivery_requests WHERE request_id = ?1 AND workspace = ?2",
        )?;
        Ok(stmt
            .query_row(params![request_id, workspace], |r| {
                Ok(DeliveryView {
                    state: r.get(0)?,
                    elements: r.get::<_, i64>(1)?.max(0) as u64,
                    delivered: r.get::<_, i64>(2)?.max(0) as u64,
                    dead: r.get::<_, i64>(3)?.max(0) as u64,
                    held: r.get::<_, i64>(4)?.max(0) as u64,
                    attempts: r.get::<_, i64>(5)?.max(0) as u64,
                    last_error: r.get(6)?,
                    updated_at: r.get(7)?,
                })
            })
            .optional()?)
    }

    /// Dead-letter items of `workspace` with ids above `after`, oldest first.
    pub fn dead(
        &self,
        workspace: &str,
        after: i64,
        limit: usize,
        all: bool,
    ) -> Result<Vec<DeadItem>, StoreError> {
        let conn = lock(&self.conn);
        let mut stmt = conn.prepare_cached(
            "SELECT id, request_id, kind, reason, status, attempts, element, created_at FROM delivery_dead
             WHERE workspace = ?1 AND id > ?2 AND (?4 OR status != 'delivered') ORDER BY id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![workspace, after, limit as i64, all], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, request_id, kind, reason, status, attempts, element, created_at) = row?;
            let element = RawValue::from_string(element)
                .or_else(|_| serde_json::value::to_raw_value("<damaged>"))
                .map_err(|e| StoreError(e.to_string()))?;
            out.push(DeadItem { id, request_id, kind, reason, status, attempts, element, created_at });
        }
        Ok(out)
    }

    /// Queues dead item `id` of `workspace` again.
    pub fn mark_retry(
        &self,
        workspace: &str,
        id: i64,
        now_ms: i64,
    ) -> Result<Result<(), RetryRefusal>, StoreError> {
        let conn = lock(&self.conn);
        let found: Option<(String, String)> = conn
            .query_row(
                "SELECT kind, reason FROM delivery_dead WHERE id = ?1 AND workspace = ?2",
                params![id, workspace],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match found {
            None => Ok(Err(RetryRefusal::NotFound)),
            Some((kind, reason)) if kind == "invalid" || kind == "unreadable" => {
                Ok(Err(RetryRefusal::Invalid(reason)))
            }
            Some(_) => {
                conn.execute(
                    "UPDATE delivery_dead SET status = 'retry', updated_at = ?2 WHERE id = ?1 AND status = 'dead'",
                    params![id, now_ms],
                )?;
                Ok(Ok(()))
            }
        }
    }
}

fn set_state(conn: &Connection, request_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE delivery_requests SET
            state = CASE WHEN held > 0 THEN 'held'
                         WHEN dead = 0 THEN 'delivered'
                         WHEN delivered = 0 THEN 'dead'
                         ELSE 'partially_delivered' END,
            last_error = CASE WHEN dead = 0 THEN NULL ELSE last_error END
         WHERE request_id = ?1",
    )?
    .execute(params![request_id])?;
    Ok(())
}
