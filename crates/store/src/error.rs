//! Errors of the store, each holding the value or operation that failed.

use std::path::PathBuf;

use crate::bookings::Conflict;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the database folder {path}: {source}")]
    CreateFolder { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("the database is at schema version {found}, newer than this release knows ({known}): run the release that wrote it, or a newer one")]
    NewerSchema { found: u32, known: u32 },
    #[error("database error while trying to {op}: {source}")]
    Sqlite {
        op: &'static str,
        source: rusqlite::Error,
    },
    #[error("cannot encode the {what} as JSON: {source}")]
    Json {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("resource {id:?} already exists: choose another id, or use the existing resource")]
    ResourceExists { id: String },
    #[error("the lesson overlaps {} confirmed booking(s)", conflicts.len())]
    Conflict { conflicts: Vec<Conflict> },
    #[error("booking {id} is {status}, not confirmed")]
    NotConfirmed { id: i64, status: String },
    #[error("booking {id} already has a reschedule in progress: complete or abandon it first")]
    ReschedulePending { id: i64 },
    #[error("booking {id} has no reschedule in progress: initiate one first")]
    NoPendingReschedule { id: i64 },
    #[error("{} lesson(s) of the series overlap confirmed bookings", slots.len())]
    SeriesConflict { slots: Vec<crate::series::SlotReport> },
    #[error("booking {booking_id} is not a lesson of series {series_id}: pick one of its lessons")]
    NotInSeries { booking_id: i64, series_id: i64 },
    #[error("{0}")]
    Invalid(String),
    #[error("outbox item {id} is {state}: only pending or failed items can be retried or dismissed")]
    OutboxClosed { id: i64, state: &'static str },
}

impl StoreError {
    /// Whether another connection held the database lock past the busy
    /// timeout: a retry can succeed.
    pub fn is_busy(&self) -> bool {
        let source = match self {
            Self::Sqlite { source, .. } | Self::Open { source, .. } => source,
            _ => return false,
        };
        matches!(
            source.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }

    pub fn not_found(kind: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            kind,
            id: id.to_string(),
        }
    }
}

/// Adds the operation being attempted to a rusqlite error.
pub trait ResultExt<T> {
    /// # Errors
    /// `StoreError::Sqlite` naming `op`.
    fn op(self, op: &'static str) -> Result<T, StoreError>;
}

impl<T> ResultExt<T> for rusqlite::Result<T> {
    fn op(self, op: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { op, source })
    }
}
