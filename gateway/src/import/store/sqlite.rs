//! The SQLite store: one file, WAL journal, `synchronous=FULL`.
//!
//! With WAL and `synchronous=FULL`, SQLite syncs the log at every commit, so a commit that
//! returned survives a crash or power loss: the gateway answers 200 only after that.
//!
//! Profiles are keyed by kind and id: kind 0 is an identified customer (`customer_id`), kind 1
//! an anonymous user (`anon_id`) not yet merged into one. Attributes are rows of their own,
//! each with the `user_time` of the update that set it, so ordering is decided per attribute.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hookmap::{Attributes, Event, Profile, Record};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde_json::value::RawValue;

use super::{CustomerView, EventView, GroupResult, RequestInfo, Store, StoreError, WriteOutcome};
use crate::log::{Content, Entry};

const CUSTOMER: i64 = 0;
const ANONYMOUS: i64 = 1;

/// Bumped when the schema changes, so an old file is recognised rather than misread.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requests (
    request_id   TEXT PRIMARY KEY,
    workspace    TEXT NOT NULL,
    partner      TEXT NOT NULL,
    mapping_type TEXT NOT NULL,
    config_name  TEXT NOT NULL,
    status       TEXT NOT NULL,
    records      INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    error        TEXT,
    received_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS idempotency (
    workspace    TEXT NOT NULL,
    partner      TEXT NOT NULL,
    mapping_type TEXT NOT NULL,
    config_name  TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace, partner, mapping_type, config_name, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
CREATE TABLE IF NOT EXISTS profiles (
    workspace  TEXT NOT NULL,
    kind       INTEGER NOT NULL,
    id         TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace, kind, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attributes (
    workspace TEXT NOT NULL,
    kind      INTEGER NOT NULL,
    id        TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    user_time INTEGER,
    PRIMARY KEY (workspace, kind, id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY,
    workspace   TEXT NOT NULL,
    owner_kind  INTEGER NOT NULL,
    owner_id    TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    customer_id TEXT,
    anon_id     TEXT,
    event_name  TEXT NOT NULL,
    user_time   INTEGER NOT NULL,
    platform    TEXT NOT NULL,
    app_version TEXT NOT NULL,
    attr        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_owner ON events (workspace, owner_kind, owner_id, seq);
CREATE TABLE IF NOT EXISTS aliases (
    workspace   TEXT NOT NULL,
    anon_id     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    merged_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace, anon_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_customer ON aliases (workspace, customer_id);
CREATE TABLE IF NOT EXISTS log_position (
    consumer TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_failures (
    consumer   TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    request_id TEXT,
    error      TEXT NOT NULL,
    PRIMARY KEY (consumer, seq)
) WITHOUT ROWID;
";

/// The SQLite store. See the module documentation.
#[derive(Debug)]
pub struct SqliteStore {
    /// Used by the writer thread only; the lock is never contended.
    writer: Mutex<Connection>,
    /// Look-ups read a WAL snapshot and never wait for the writer.
    reader: Mutex<Connection>,
    idempotency_window_ms: i64,
    /// Set by the checkpointer when the log should be rewound; done by [`Store::maintain`].
    rewind_wanted: Arc<AtomicBool>,
    last_prune_ms: Mutex<i64>,
    _checkpointer: Checkpointer,
    /// The file, for the delivery forwarder's own connection.
    path: std::path::PathBuf,
    /// Set by [`Store::enable_outbox`]: the workspaces whose imports are also queued for delivery.
    outbox: std::sync::OnceLock<crate::delivery::outbox::Enabled>,
}

/// How many expired idempotency keys one `maintain` call deletes at most.
const PRUNE_BATCH: i64 = 10_000;

/// How often expired idempotency keys are deleted.
const PRUNE_EVERY_MS: i64 = 60_000;

/// How often the checkpointer looks at the log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Log length (frames, about a page each) above which the log is rewound:
/// 16,384 frames of 4 KiB pages, about 64 MiB of log file.
const WAL_LIMIT_FRAMES: i64 = 16 * 1024;

/// A thread that checkpoints the WAL in the background, stopped when the store is dropped.
///
/// PASSIVE checkpoints never block the writer or readers, but under steady load they never
/// finish with an empty log (the writer appends while they copy), and SQLite only rewinds the
/// log when one does: measured, the log grew to 590 MB in 30 s. A RESTART checkpoint from this
/// thread would have to catch the writer between two transactions, which at 1,000+ commits a
/// second it rarely does (the log still reached 380 MB). So past [`WAL_LIMIT_FRAMES`] this thread
/// only raises a flag, and the writer runs the RESTART between groups, after answering them: by
/// then the PASSIVE checkpoints have copied nearly everything, so it is short.
#[derive(Debug)]
struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn spawn(path: &Path, rewind_wanted: Arc<AtomicBool>) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hookmap-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(CHECKPOINT_EVERY)
                {
                    let frames = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1));
                    match frames {
                        Ok(frames) if frames > WAL_LIMIT_FRAMES => {
                            rewind_wanted.store(true, Ordering::Relaxed)
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; will retry"),
                    }
                }
                // Last one on the way out; TRUNCATE also empties the log file.
                let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            })
            .map_err(|e| StoreError(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path, idempotency_window: Duration) -> Result<Self, StoreError> {
        // Every failure names the file, whichever step it came from (SQLite's own messages,
        // such as "unable to open database file" on a read-only filesystem, do not).
        SqliteStore::open_unlabelled(path, idempotency_window).map_err(|e| {
            let place = path.display().to_string();
            if e.0.contains(&place) {
                e
            } else {
                StoreError(format!("cannot open database {place}: {}", e.0))
            }
        })
    }

    fn open_unlabelled(path: &Path, idempotency_window: Duration) -> Result<Self, StoreError> {
        let writer = Connection::open(path)
            .map_err(|e| StoreError(format!("cannot open database {}: {e}", path.display())))?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError(format!(
                "database {} cannot use WAL (journal mode {mode})",
                path.display()
            )));
        }
        // FULL, not NORMAL: NORMAL in WAL mode may lose the last commits on power loss, and
        // a 200 promises the records are kept.
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.busy_timeout(Duration::from_secs(5))?;
        let version: i64 = writer.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError(format!(
                "database {} has schema version {version}; this gateway knows up to {SCHEMA_VERSION}",
                path.display()
            )));
        }
        // Checkpoints (copying the log back into the database file, with its own fsync) run on
        // a thread of their own, not inside some unlucky request's commit.
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        writer.execute_batch(SCHEMA)?;
        writer.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        writer.set_prepared_statement_cache_capacity(64); // 16 attribute upserts + ~15 others

        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        reader.busy_timeout(Duration::from_secs(5))?;
        let window_ms = i64::try_from(idempotency_window.as_millis()).unwrap_or(i64::MAX);
        let rewind_wanted = Arc::new(AtomicBool::new(false));
        let checkpointer = Checkpointer::spawn(path, rewind_wanted.clone())?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            idempotency_window_ms: window_ms,
            rewind_wanted,
            last_prune_ms: Mutex::new(0),
            _checkpointer: checkpointer,
            path: path.to_owned(),
            outbox: std::sync::OnceLock::new(),
        })
    }
}

impl SqliteStore {
    /// Applies `entries` in one transaction, each whole or not at all, then lets `finish` add
    /// its rows to the same transaction before the commit.
    fn apply_group<'e>(
        &self,
        entries: impl Iterator<Item = &'e Entry> + Clone,
        finish: impl Fn(&Connection, &[Result<WriteOutcome, StoreError>]) -> Result<(), StoreError>,
    ) -> GroupResult {
        let mut conn = lock(&self.writer);
        // Fast path: the whole group in one transaction, no savepoints. A write fails only on
        // bad input or a storage fault, both rare; then the group is redone with a savepoint per
        // write, so one bad write is undone alone and the others still commit.
        // IMMEDIATE: the delivery forwarder writes to this file too, and a deferred transaction
        // that reads first could not wait for it (SQLITE_BUSY_SNAPSHOT); this one waits.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outbox = self.outbox.get();
        let fast: Result<Vec<WriteOutcome>, StoreError> =
            entries.clone().map(|w| apply_and_queue(&tx, w, self.idempotency_window_ms, outbox)).collect();
        if let Ok(outcomes) = fast {
            let outcomes: Vec<_> = outcomes.into_iter().map(Ok).collect();
            finish(&tx, &outcomes)?;
            tx.commit()?;
            crate::delivery::outbox::committed(outbox);
            return Ok(outcomes);
        }
        drop(tx); // rolls back
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::new();
        for write in entries {
            let sp = tx.savepoint()?;
            match apply_and_queue(&sp, write, self.idempotency_window_ms, outbox) {
                Ok(outcome) => {
                    sp.commit()?;
                    outcomes.push(Ok(outcome));
                }
                Err(e) => {
                    drop(sp); // rolls back to the savepoint
                    // On a full disk or an I/O error SQLite may have rolled back the whole
                    // transaction itself; going on would start a new one and commit part of the
                    // group on its own. Fail the group: nothing of it is stored.
                    if tx.is_autocommit() {
                        return Err(e);
                    }
                    outcomes.push(Err(e));
                }
            }
        }
        finish(&tx, &outcomes)?;
        tx.commit()?;
        crate::delivery::outbox::committed(outbox);
        Ok(outcomes)
    }
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves at worst an open transaction, which rusqlite's
    // drop already rolled back; the connection itself stays usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store for SqliteStore {
    fn write_group(&self, entries: &[Entry]) -> GroupResult {
        self.apply_group(entries.iter(), |_, _| Ok(()))
    }

    fn import_from_log(
        &self,
        consumer: &str,
        through: u64,
        entries: &[(u64, Entry)],
        unreadable: &[(u64, String)],
    ) -> GroupResult {
        let through = i64::try_from(through).map_err(|_| StoreError("log sequence out of range".into()))?;
        self.apply_group(entries.iter().map(|(_, e)| e), |tx, outcomes| {
            let mut fail = tx.prepare_cached(
                "INSERT OR REPLACE INTO log_failures (consumer, seq, request_id, error) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for ((seq, entry), outcome) in entries.iter().zip(outcomes) {
                if let Err(e) = outcome {
                    fail.execute(params![consumer, *seq as i64, entry.request_id, e.0])?;
                }
            }
            for (seq, error) in unreadable {
                fail.execute(params![consumer, *seq as i64, Option::<&str>::None, error])?;
            }
            tx.prepare_cached(
                "INSERT INTO log_position (consumer, seq) VALUES (?1, ?2)
                 ON CONFLICT (consumer) DO UPDATE SET seq = max(seq, excluded.seq)",
            )?
            .execute(params![consumer, through])?;
            Ok(())
        })
    }

    fn log_position(&self, consumer: &str) -> Result<u64, StoreError> {
        let conn = lock(&self.writer);
        let seq: Option<i64> = conn
            .query_row("SELECT seq FROM log_position WHERE consumer = ?1", [consumer], |r| r.get(0))
            .optional()?;
        Ok(seq.unwrap_or(0).max(0) as u64)
    }

    fn enable_outbox(
        &self,
        workspaces: &[String],
    ) -> Result<Option<crate::delivery::outbox::Handle>, StoreError> {
        let conn = lock(&self.writer);
        conn.execute_batch(crate::delivery::state::SCHEMA)?;
        let enabled = crate::delivery::outbox::Enabled::new(workspaces);
        let handle = crate::delivery::outbox::Handle { path: self.path.clone(), signal: enabled.signal() };
        self.outbox.set(enabled).map_err(|_| StoreError("delivery was enabled twice".into()))?;
        Ok(Some(handle))
    }

    fn maintain(&self, now_ms: i64) -> Result<(), StoreError> {
        let conn = lock(&self.writer);
        // Rewinding the log needs a moment with no write transaction open, which under load only
        // the writer itself can promise; it is asked to by the checkpointer.
        if self.rewind_wanted.swap(false, Ordering::Relaxed) {
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get(0))?;
            if busy != 0 {
                // A reader is still on an old snapshot; ask again at the next chance.
                self.rewind_wanted.store(true, Ordering::Relaxed);
            }
        }
        let mut last_prune = self.last_prune_ms.lock().unwrap_or_else(|e| e.into_inner());
        if now_ms - *last_prune >= PRUNE_EVERY_MS {
            let before = now_ms.saturating_sub(self.idempotency_window_ms);
            // A bounded batch per call: every acknowledgement waits for the writer, so one
            // DELETE of millions of expired keys must not stall them. A full batch leaves the
            // rest for the next call.
            let deleted = conn.execute(
                "DELETE FROM idempotency
                 WHERE (workspace, partner, mapping_type, config_name, key) IN (
                     SELECT workspace, partner, mapping_type, config_name, key FROM idempotency
                     WHERE created_at < ?1 LIMIT ?2)",
                params![before, PRUNE_BATCH],
            )?;
            if (deleted as i64) < PRUNE_BATCH {
                *last_prune = now_ms;
            }
            if deleted > 0 {
                tracing::info!(deleted, "expired idempotency keys deleted");
            }
        }
        Ok(())
    }

    fn request(&self, workspace: &str, request_id: &str) -> Result<Option<RequestInfo>, StoreError> {
        let conn = lock(&self.reader);
        let mut stmt = conn.prepare_cached(
            "SELECT status, partner, mapping_type, config_name, records, skipped, error, received_at
             FROM requests WHERE request_id = ?1 AND workspace = ?2",
        )?;
        let row = stmt
            .query_row(params![request_id, workspace], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })
            .optional()?;
        let Some((status, partner, mapping_type, config_name, records, skipped, error, received_at)) = row
        else {
            return Ok(None);
        };
        Ok(Some(RequestInfo {
            request_id: request_id.to_owned(),
            status,
            partner,
            mapping_type,
            config_name,
            records: records.max(0) as u64,
            skipped: skipped.max(0) as u64,
            error: error.map(raw).transpose()?,
            delivery: None,
            received_at,
        }))
    }

    fn customer(
        &self,
        workspace: &str,
        customer_id: &str,
        events: usize,
    ) -> Result<Option<CustomerView>, StoreError> {
        let conn = lock(&self.reader);
        // One read transaction, so attributes and events come from the same snapshot. The guard
        // ends it on every way out (an error, a panic), so the shared reader never stays on an
        // old snapshot.
        let tx = conn.unchecked_transaction()?;
        let result = read_customer(&tx, workspace, customer_id, events);
        tx.finish()?;
        result
    }
}

fn read_customer(
    conn: &Connection,
    workspace: &str,
    customer_id: &str,
    events: usize,
) -> Result<Option<CustomerView>, StoreError> {
    if !profile_exists(conn, workspace, CUSTOMER, customer_id)? {
        return Ok(None);
    }
    let mut attributes = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT key, value FROM attributes WHERE workspace = ?1 AND kind = 0 AND id = ?2 ORDER BY key",
    )?;
    let mut rows = stmt.query(params![workspace, customer_id])?;
    while let Some(r) = rows.next()? {
        attributes.insert(r.get::<_, String>(0)?, raw(r.get::<_, String>(1)?)?);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT anon_id FROM aliases WHERE workspace = ?1 AND customer_id = ?2 ORDER BY anon_id",
    )?;
    let anon_ids =
        stmt.query_map(params![workspace, customer_id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT request_id, customer_id, anon_id, event_name, user_time, platform, app_version, attr
         FROM events WHERE workspace = ?1 AND owner_kind = 0 AND owner_id = ?2 ORDER BY seq DESC LIMIT ?3",
    )?;
    let limit = i64::try_from(events).unwrap_or(i64::MAX);
    let mut rows = stmt.query(params![workspace, customer_id, limit])?;
    let mut events = Vec::new();
    while let Some(r) = rows.next()? {
        events.push(EventView {
            request_id: r.get(0)?,
            customer_id: r.get(1)?,
            anon_id: r.get(2)?,
            event_name: r.get(3)?,
            user_time: r.get(4)?,
            platform: r.get(5)?,
            app_version: r.get(6)?,
            attr: raw(r.get(7)?)?,
        });
    }
    Ok(Some(CustomerView { customer_id: customer_id.to_owned(), attributes, anon_ids, events }))
}

/// Stored JSON text back as JSON, verbatim (so `98765432109876543210` stays exact).
fn raw(text: String) -> Result<Box<RawValue>, StoreError> {
    RawValue::from_string(text).map_err(|e| StoreError(format!("stored JSON is damaged: {e}")))
}

/// [`apply_write`], then queues an imported entry for delivery when its workspace has it on:
/// in the same transaction, so an acknowledged request is always queued.
fn apply_and_queue(
    conn: &Connection,
    w: &Entry,
    window_ms: i64,
    outbox: Option<&crate::delivery::outbox::Enabled>,
) -> Result<WriteOutcome, StoreError> {
    let outcome = apply_write(conn, w, window_ms)?;
    if let (Some(outbox), WriteOutcome::Imported { .. }) = (outbox, &outcome) {
        outbox.queue(conn, w)?;
    }
    Ok(outcome)
}

fn apply_write(conn: &Connection, w: &Entry, window_ms: i64) -> Result<WriteOutcome, StoreError> {
    let ws = &*w.workspace;
    if let Some(key) = &w.idempotency_key {
        let mut stmt = conn.prepare_cached(
            "SELECT request_id, created_at FROM idempotency
             WHERE workspace = ?1 AND partner = ?2 AND mapping_type = ?3 AND config_name = ?4 AND key = ?5",
        )?;
        // The events and the users hook of one config are different endpoints: a key repeated
        // across them is two requests.
        let found: Option<(String, i64)> = stmt
            .query_row(params![ws, w.partner, w.mapping_type.as_str(), w.config_name, key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((request_id, created_at)) = found
            && created_at > w.received_at_ms.saturating_sub(window_ms)
        {
            return Ok(WriteOutcome::Duplicate { request_id });
        }
    }
    let (outcome, status, error) = match &w.content {
        Content::Records(records) => {
            let skipped = apply_records(conn, w, records)?;
            (WriteOutcome::Imported { records: records.len(), skipped }, "imported", None)
        }
        Content::Rejected(error) => (WriteOutcome::Rejected, "rejected", Some(error.as_str())),
    };
    let (records, skipped) = match outcome {
        WriteOutcome::Imported { records, skipped } => (records as i64, skipped as i64),
        _ => (0, 0),
    };
    conn.prepare_cached(
        "INSERT INTO requests (request_id, workspace, partner, mapping_type, config_name, status, records,
                               skipped, error, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        w.request_id,
        ws,
        w.partner,
        w.mapping_type.as_str(),
        w.config_name,
        status,
        records,
        skipped,
        error,
        w.received_at_ms
    ])?;
    // Only an import claims the key: after a refused payload the sender may fix it and retry
    // with the same key.
    if let (Some(key), WriteOutcome::Imported { .. }) = (&w.idempotency_key, &outcome) {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO idempotency
                 (workspace, partner, mapping_type, config_name, key, request_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            ws,
            w.partner,
            w.mapping_type.as_str(),
            w.config_name,
            key,
            w.request_id,
            w.received_at_ms
        ])?;
    }
    Ok(outcome)
}

/// Applies the records of one request; returns how many were skipped.
fn apply_records(conn: &Connection, w: &Entry, records: &[Record<'static>]) -> Result<usize, StoreError> {
    let mut skipped = 0;
    for record in records {
        match record {
            Record::Event(e) => apply_event(conn, w, e)?,
            Record::User(p) => {
                if !apply_profile(conn, w, p)? {
                    skipped += 1;
                }
            }
        }
    }
    Ok(skipped)
}

fn apply_event(conn: &Connection, w: &Entry, e: &Event<'_>) -> Result<(), StoreError> {
    let ws = &*w.workspace;
    let now = w.received_at_ms;
    let (kind, owner): (i64, Cow<'_, str>) = match (&e.customer_id, &e.anon_id) {
        (Some(customer), anon) => {
            ensure_profile(conn, ws, CUSTOMER, customer, now)?;
            if let Some(anon) = anon {
                link_anonymous(conn, ws, anon, customer, now)?;
            }
            (CUSTOMER, Cow::Borrowed(customer))
        }
        // An anonymous id already merged belongs to its customer from then on.
        (None, Some(anon)) => match alias_of(conn, ws, anon)? {
            Some(customer) => {
                ensure_profile(conn, ws, CUSTOMER, &customer, now)?;
                (CUSTOMER, Cow::Owned(customer))
            }
            None => {
                ensure_profile(conn, ws, ANONYMOUS, anon, now)?;
                (ANONYMOUS, Cow::Borrowed(anon))
            }
        },
        (None, None) => return Err(StoreError("an event has neither customer_id nor anon_id".into())),
    };
    let attr = serde_json::to_string(&e.attr).map_err(|e| StoreError(e.to_string()))?;
    conn.prepare_cached(
        "INSERT INTO events (workspace, owner_kind, owner_id, request_id, customer_id, anon_id, event_name,
                             user_time, platform, app_version, attr)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        ws,
        kind,
        owner,
        w.request_id,
        e.customer_id,
        e.anon_id,
        e.event_name,
        e.user_time,
        e.platform.as_str(),
        e.app_version,
        attr
    ])?;
    // Event records carry no ordering for profile attributes (the user_time rule is for
    // users-mapper records); they apply in arrival order.
    set_attributes(conn, ws, kind, &owner, &e.user_attributes, None)
}

/// Applies a profile update; `false` when `update_existing_only` skipped it.
fn apply_profile(conn: &Connection, w: &Entry, p: &Profile<'_>) -> Result<bool, StoreError> {
    let ws = &*w.workspace;
    if p.update_existing_only == Some(true) && !profile_exists(conn, ws, CUSTOMER, &p.customer_id)? {
        return Ok(false);
    }
    ensure_profile(conn, ws, CUSTOMER, &p.customer_id, w.received_at_ms)?;
    set_attributes(conn, ws, CUSTOMER, &p.customer_id, &p.user_attributes, p.user_time)?;
    Ok(true)
}

fn profile_exists(conn: &Connection, ws: &str, kind: i64, id: &str) -> Result<bool, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM profiles WHERE workspace = ?1 AND kind = ?2 AND id = ?3")?;
    Ok(stmt.exists(params![ws, kind, id])?)
}

/// Creates the profile if it does not exist. An existing one is left untouched: writing it
/// again would dirty its page (one more page in the commit's log) for nothing.
fn ensure_profile(conn: &Connection, ws: &str, kind: i64, id: &str, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO profiles (workspace, kind, id, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace, kind, id) DO NOTHING",
    )?
    .execute(params![ws, kind, id, now])?;
    Ok(())
}

/// Sets attributes of a profile. With a `user_time`, an attribute whose stored value came
/// from a later `user_time` is kept (per attribute, so an older update still fills in the
/// attributes the newer one did not set). Equal times: the later arrival wins. Without a
/// `user_time` the value is set and the attribute keeps the time it had.
fn set_attributes(
    conn: &Connection,
    ws: &str,
    kind: i64,
    id: &str,
    attributes: &Attributes<'_>,
    user_time: Option<i64>,
) -> Result<(), StoreError> {
    if attributes.is_empty() {
        return Ok(());
    }
    // Up to CHUNK attributes per statement: one statement run instead of one per attribute.
    let entries: Vec<(&str, String)> = attributes
        .iter()
        .map(|(k, v)| Ok((k, serde_json::to_string(v).map_err(|e| StoreError(e.to_string()))?)))
        .collect::<Result<_, StoreError>>()?;
    for chunk in entries.chunks(ATTRIBUTE_CHUNK) {
        let mut stmt = conn.prepare_cached(upsert_attributes_sql(chunk.len()))?;
        stmt.raw_bind_parameter(1, ws)?;
        stmt.raw_bind_parameter(2, kind)?;
        stmt.raw_bind_parameter(3, id)?;
        stmt.raw_bind_parameter(4, user_time)?;
        for (i, (key, value)) in chunk.iter().enumerate() {
            stmt.raw_bind_parameter(5 + 2 * i, key)?;
            stmt.raw_bind_parameter(6 + 2 * i, value)?;
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

const ATTRIBUTE_CHUNK: usize = 16;

/// The upsert of `n` attributes of one profile (`?1`-`?4` workspace, kind, id, user_time; then
/// key and value of each), built once per `n`.
fn upsert_attributes_sql(n: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..=ATTRIBUTE_CHUNK)
            .map(|n| {
                let rows: Vec<String> =
                    (0..n).map(|i| format!("(?1, ?2, ?3, ?{}, ?{}, ?4)", 5 + 2 * i, 6 + 2 * i)).collect();
                format!(
                    "INSERT INTO attributes (workspace, kind, id, key, value, user_time) VALUES {}
                     ON CONFLICT (workspace, kind, id, key) DO UPDATE
                        SET value = excluded.value, user_time = coalesce(excluded.user_time, attributes.user_time)
                        WHERE (excluded.user_time IS NULL OR attributes.user_time IS NULL
                               OR excluded.user_time >= attributes.user_time)
                          -- an unchanged value and time is not rewritten (senders repeat
                          -- attributes such as the email on every event)
                          AND (attributes.value IS NOT excluded.value
                               OR attributes.user_time IS NOT coalesce(excluded.user_time, attributes.user_time))",
                    rows.join(", ")
                )
            })
            .collect()
    });
    &all[n.clamp(1, ATTRIBUTE_CHUNK) - 1]
}

fn alias_of(conn: &Connection, ws: &str, anon: &str) -> Result<Option<String>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT customer_id FROM aliases WHERE workspace = ?1 AND anon_id = ?2")?;
    Ok(stmt.query_row(params![ws, anon], |r| r.get(0)).optional()?)
}

/// Ties `anon` to `customer`: the anonymous profile's attributes and events move to the
/// customer, and later events with only `anon` land on the customer too. An anonymous id is
/// merged once; a later event pairing it with another customer does not move it again.
fn link_anonymous(
    conn: &Connection,
    ws: &str,
    anon: &str,
    customer: &str,
    now: i64,
) -> Result<(), StoreError> {
    if alias_of(conn, ws, anon)?.is_some() {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO aliases (workspace, anon_id, customer_id, merged_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![ws, anon, customer, now])?;
    if !profile_exists(conn, ws, ANONYMOUS, anon)? {
        return Ok(());
    }
    // The identified profile keeps its own values; the anonymous one fills the gaps, and
    // replaces a value only with a later user_time.
    conn.prepare_cached(
        "INSERT INTO attributes (workspace, kind, id, key, value, user_time)
         SELECT workspace, 0, ?3, key, value, user_time FROM attributes
         WHERE workspace = ?1 AND kind = 1 AND id = ?2
         ON CONFLICT (workspace, kind, id, key) DO UPDATE
            SET value = excluded.value, user_time = excluded.user_time
            WHERE excluded.user_time IS NOT NULL
              AND (attributes.user_time IS NULL OR excluded.user_time > attributes.user_time)",
    )?
    .execute(params![ws, anon, customer])?;
    conn.prepare_cached("DELETE FROM attributes WHERE workspace = ?1 AND kind = 1 AND id = ?2")?
        .execute(params![ws, anon])?;
    conn.prepare_cached(
        "UPDATE events SET owner_kind = 0, owner_id = ?3 WHERE workspace = ?1 AND owner_kind = 1 AND owner_id = ?2",
    )?
    .execute(params![ws, anon, customer])?;
    conn.prepare_cached("DELETE FROM profiles WHERE workspace = ?1 AND kind = 1 AND id = ?2")?
        .execute(params![ws, anon])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use hookmap::MappingType;

    use super::{PRUNE_BATCH, SqliteStore};
    use crate::import::store::{Store, WriteOutcome};
    use crate::log::{Content, Entry};

    fn keyed(n: i64, mapping_type: MappingType) -> Entry {
        Entry {
            request_id: format!("r{n}-{}", mapping_type.as_str()),
            workspace: Arc::from("ws"),
            partner: "shop".into(),
            mapping_type,
            config_name: "v1".into(),
            received_at_ms: 1_000 + n,
            idempotency_key: Some(format!("k{n}")),
            content: Content::Records(Vec::new()),
        }
    }

    fn keys(path: &std::path::Path) -> i64 {
        let conn = rusqlite::Connection::open(path).expect("open");
        conn.query_row("SELECT count(*) FROM idempotency", [], |r| r.get(0)).expect("count")
    }

    #[test]
    fn expired_keys_go_in_bounded_batches() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.db");
        let store = SqliteStore::open(&path, Duration::from_secs(1)).expect("store");
        let total = PRUNE_BATCH + 5;
        let writes: Vec<Entry> = (0..total).map(|n| keyed(n, MappingType::Events)).collect();
        for outcome in store.write_group(&writes).expect("group") {
            assert!(matches!(outcome, Ok(WriteOutcome::Imported { .. })));
        }
        assert_eq!(keys(&path), total);
        let later = 1_000_000;
        store.maintain(later).expect("maintain");
        assert_eq!(keys(&path), 5, "one batch per call");
        store.maintain(later + 1).expect("maintain");
        assert_eq!(keys(&path), 0, "the rest at the next call");
    }

    #[test]
    fn a_key_is_scoped_to_its_hook() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqliteStore::open(&dir.path().join("s.db"), Duration::from_secs(3600)).expect("store");
        let first = store.write_group(&[keyed(1, MappingType::Events)]).expect("group");
        assert!(matches!(first[0], Ok(WriteOutcome::Imported { .. })));
        // The same key, config and partner on the users hook is another request.
        let users = store.write_group(&[keyed(1, MappingType::Users)]).expect("group");
        assert!(matches!(users[0], Ok(WriteOutcome::Imported { .. })), "{:?}", users[0]);
        let again = store.write_group(&[keyed(1, MappingType::Events)]).expect("group");
        assert!(matches!(again[0], Ok(WriteOutcome::Duplicate { .. })));
    }
}
