//! The SQLite store: connection set-up, the migrations runner, and one module
//! of queries per table. All calls block; async callers run them on
//! `spawn_blocking`.
//!
//! One connection writes, behind a mutex, and every write is a
//! `BEGIN IMMEDIATE` transaction, so a read-then-write (such as the conflict
//! check before a booking insert) cannot interleave with another writer, even
//! one in a second process. Reads use a small pool of their own connections,
//! which WAL lets run beside the writer.

pub mod audit;
pub mod billing;
pub mod bookings;
mod error;
pub mod feeds;
pub mod metrics;
mod migrate;
pub mod outbox;
mod people;
pub mod reschedules;
mod resources;
pub mod series;
mod timestamp;
pub mod tools;
pub mod transfer;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use audit::{AnalyticsEvent, AuditEntry, EventKind};
pub use billing::{
    Applied, BillingCustomer, BillingSubscription, Card, EventSource, Price, SetupOutcome, StudentBilling,
    SubscriptionState,
};
pub use bookings::{Booking, Conflict, ConflictOn, NewBooking};
pub use error::{ResultExt, StoreError};
pub use metrics::{MetricsSnapshot, ResourceMetrics, DURATION_BUCKETS};
pub use migrate::{MIGRATIONS, SCHEMA_VERSION};
pub use outbox::{OutboxCounts, OutboxItem, OutboxKind, OutboxState};
pub use people::{Student, Teacher};
pub use reschedules::Reschedule;
pub use resources::{NewResource, Resource};
pub use tools::{BackfillOutcome, ResourceCount};

/// How long a connection waits for another process's write lock before
/// failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read connections kept open for reuse; more are opened under load and
/// dropped afterwards.
const IDLE_READERS: usize = 4;

/// The database, opened and migrated.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database file and its folder, sets the
    /// connection PRAGMAs and applies pending migrations.
    ///
    /// # Errors
    /// `StoreError::Open` names the path; migration errors name the version.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_at_version(path, SCHEMA_VERSION)
    }

    /// Like `open`, but stops migrating at `version`. Tests use it to build a
    /// database as an older release left it.
    ///
    /// # Errors
    /// As `open`.
    pub fn open_at_version(path: &Path, version: u32) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateFolder {
                path: parent.to_owned(),
                source,
            })?;
        }
        let mut writer = open_connection(path)?;
        migrate::apply(&mut writer, version)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction, committing when it
    /// returns `Ok` and rolling back otherwise.
    ///
    /// # Errors
    /// Whatever `work` returns, or the failure to begin or commit.
    pub fn write<T, E>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op("begin write transaction")?;
        let value = work(&tx)?;
        tx.commit().op("commit write transaction")?;
        Ok(value)
    }

    /// Runs `work` in a write transaction that is always rolled back: a dry
    /// run sees its own writes, and nothing of it stays.
    ///
    /// # Errors
    /// Whatever `work` returns, or the failure to begin the transaction.
    pub fn rehearse<T, E>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op("begin write transaction")?;
        let value = work(&tx);
        tx.rollback().op("roll back a dry run")?;
        value
    }

    /// Runs `work` on a pooled read connection.
    ///
    /// # Errors
    /// Whatever `work` returns, or the failure to open a connection.
    pub fn read<T, E>(&self, work: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = work(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    /// Returns the result of `PRAGMA integrity_check`: `"ok"` for a sound file.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the check cannot run.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.read(|conn| {
            conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
                .op("run integrity_check")
        })
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite rolled
/// its transaction back, so the connection is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    configure(&conn).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    Ok(conn)
}

/// Per-connection settings. `synchronous=FULL` fsyncs the WAL on every
/// commit, so a booking answered 201 survives power loss, not only a crash.
/// Each connection may cache 32 MiB of pages and map up to 256 MiB of the
/// file, which keeps a week's list off the read() path on large databases.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "SQLite refused WAL mode; writes block readers");
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32768;
         PRAGMA mmap_size = 268435456;",
    )?;
    Ok(())
}
