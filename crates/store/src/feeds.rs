//! Calendar feed tokens. The store keeps only a hash of each token, which
//! the server computes, so reading the database does not yield feed URLs.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::bookings::Booking;
use crate::error::{ResultExt, StoreError};
use crate::series::FeedColumn;
use crate::timestamp;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedToken {
    pub id: i64,
    /// `teacher`, `resource` or `student`.
    pub kind: String,
    /// The teacher or student id, or the resource id.
    pub target: String,
    /// The first characters of the token, to tell feeds apart.
    pub token_hint: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl FeedToken {
    pub fn column(&self) -> FeedColumn {
        match self.kind.as_str() {
            "teacher" => FeedColumn::Teacher,
            "student" => FeedColumn::Student,
            _ => FeedColumn::Resource,
        }
    }
}

const COLUMNS: &str = "id, kind, target, token_hint, created_by, created_at, revoked_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<FeedToken> {
    Ok(FeedToken {
        id: row.get(0)?,
        kind: row.get(1)?,
        target: row.get(2)?,
        token_hint: row.get(3)?,
        created_by: row.get(4)?,
        created_at: timestamp::read(row, 5)?,
        revoked_at: timestamp::read_optional(row, 6)?,
    })
}

impl FeedToken {
    /// # Errors
    /// `StoreError::Sqlite` when the insert fails.
    #[allow(clippy::too_many_arguments)]
    pub fn insert(
        tx: &Transaction<'_>,
        token_hash: &str,
        token_hint: &str,
        kind: &str,
        target: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        tx.execute(
            "INSERT INTO feed_tokens (token_hash, token_hint, kind, target, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![token_hash, token_hint, kind, target, actor, now.timestamp()],
        )
        .op("insert feed token")?;
        let id = tx.last_insert_rowid();
        Self::get(tx, id)
    }

    /// # Errors
    /// `NotFound` for an unknown id.
    pub fn get(conn: &Connection, id: i64) -> Result<Self, StoreError> {
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM feed_tokens WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()
        .op("read feed token")?
        .ok_or_else(|| StoreError::not_found("feed", id))
    }

    /// The feed of a token that has not been revoked.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find_active(conn: &Connection, token_hash: &str) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM feed_tokens WHERE token_hash = ?1 AND revoked_at IS NULL"),
            [token_hash],
            from_row,
        )
        .optional()
        .op("read feed token")
    }

    /// Feeds not revoked, newest first.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list_active(conn: &Connection) -> Result<Vec<Self>, StoreError> {
        let mut statement = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM feed_tokens WHERE revoked_at IS NULL ORDER BY id DESC"
            ))
            .op("list feeds")?;
        let rows = statement.query_map([], from_row).op("list feeds")?;
        rows.collect::<Result<_, _>>().op("list feeds")
    }

    /// Revokes a feed: its URL stops working at once.
    ///
    /// # Errors
    /// `NotFound` for an unknown id.
    pub fn revoke(tx: &Transaction<'_>, id: i64, now: DateTime<Utc>) -> Result<Self, StoreError> {
        Self::get(tx, id)?;
        tx.execute(
            "UPDATE feed_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now.timestamp()],
        )
        .op("revoke feed")?;
        Self::get(tx, id)
    }
}

/// Bookings of a feed's teacher, resource or student starting at or after
/// `from`, in start order. A booking from the single-room schema counts as
/// `primary`.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn feed_bookings(
    conn: &Connection,
    column: FeedColumn,
    value: &str,
    from: DateTime<Utc>,
) -> Result<Vec<Booking>, StoreError> {
    let filter = match column {
        FeedColumn::Resource => "COALESCE(b.resource_id, 'primary') = ?1",
        FeedColumn::Teacher => "b.teacher_id = ?1",
        FeedColumn::Student => "b.student_id = ?1",
    };
    crate::bookings::list_filtered(conn, filter, params![value, from.timestamp()])
}
