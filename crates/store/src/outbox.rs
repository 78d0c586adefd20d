//! The outbox of Stripe calls: each is written before it is attempted, so a
//! call survives a closed app or a lost network and is made again until
//! Stripe returns a response. The billing service moves items between
//! states, on its own or when the desk retries or dismisses one.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::error::{ResultExt, StoreError};
use crate::timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// Find or create the Stripe customer of an email.
    Customer,
    /// Create a subscription (and its customer first, when needed).
    Subscription,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Subscription => "subscription",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "customer" => Some(Self::Customer),
            "subscription" => Some(Self::Subscription),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting for its next attempt.
    Pending,
    Done,
    /// Stripe rejected it; waits for the desk to retry or dismiss it.
    Failed,
    /// The desk gave it up.
    Dismissed,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Dismissed => "dismissed",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "done" => Some(Self::Done),
            "failed" => Some(Self::Failed),
            "dismissed" => Some(Self::Dismissed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxItem {
    pub id: i64,
    /// Sent to Stripe as metadata and idempotency key, so that a retry finds
    /// what an earlier attempt created.
    pub local_ref: String,
    pub kind: OutboxKind,
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub request: serde_json::Value,
    pub state: OutboxState,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub result: Option<serde_json::Value>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, local_ref, kind, email, request_json, state, attempts, next_attempt_at, \
     last_error, result_json, created_by, created_at, updated_at";

fn json_column(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<serde_json::Value>> {
    let raw: Option<String> = row.get(index)?;
    raw.map(|text| {
        serde_json::from_str(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

fn enum_column<T>(row: &Row<'_>, index: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let raw: String = row.get(index)?;
    parse(&raw).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("unknown outbox value {raw:?}").into(),
        )
    })
}

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    Ok(OutboxItem {
        id: row.get(0)?,
        local_ref: row.get(1)?,
        kind: enum_column(row, 2, OutboxKind::parse)?,
        email: row.get(3)?,
        request: json_column(row, 4)?.unwrap_or(serde_json::Value::Null),
        state: enum_column(row, 5, OutboxState::parse)?,
        attempts: row.get(6)?,
        next_attempt_at: timestamp::read(row, 7)?,
        last_error: row.get(8)?,
        result: json_column(row, 9)?,
        created_by: row.get(10)?,
        created_at: timestamp::read(row, 11)?,
        updated_at: timestamp::read(row, 12)?,
    })
}

/// Counts of items that need the desk's attention or are still to be sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxCounts {
    pub pending: i64,
    pub failed: i64,
}

impl OutboxItem {
    /// Writes a new pending item, due now.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the insert fails.
    pub fn enqueue(
        tx: &Transaction<'_>,
        kind: OutboxKind,
        local_ref: &str,
        email: &str,
        request: &serde_json::Value,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        tx.execute(
            "INSERT INTO stripe_outbox
                (local_ref, kind, email, request_json, state, next_attempt_at, created_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?5, ?5)",
            params![local_ref, kind.as_str(), email, request.to_string(), now.timestamp(), actor],
        )
        .op("enqueue Stripe call")?;
        let id = tx.last_insert_rowid();
        Self::find(tx, id)?.ok_or_else(|| StoreError::not_found("outbox item", id))
    }

    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find(conn: &Connection, id: i64) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!("SELECT {COLUMNS} FROM stripe_outbox WHERE id = ?1"),
            [id],
            item_from_row,
        )
        .optional()
        .op("read outbox item")
    }

    /// A pending item of `kind` for `email`, so that asking twice for the
    /// same customer queues one call.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find_pending(
        conn: &Connection,
        kind: OutboxKind,
        email: &str,
    ) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!(
                "SELECT {COLUMNS} FROM stripe_outbox
                  WHERE kind = ?1 AND email = ?2 AND state = 'pending' ORDER BY id LIMIT 1"
            ),
            params![kind.as_str(), email],
            item_from_row,
        )
        .optional()
        .op("read outbox item")
    }

    /// The oldest pending item due at `now`.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn next_due(conn: &Connection, now: DateTime<Utc>) -> Result<Option<Self>, StoreError> {
        conn.query_row(
            &format!(
                "SELECT {COLUMNS} FROM stripe_outbox
                  WHERE state = 'pending' AND next_attempt_at <= ?1 ORDER BY id LIMIT 1"
            ),
            [now.timestamp()],
            item_from_row,
        )
        .optional()
        .op("read next outbox item")
    }

    /// When the earliest pending item is due, if any is pending.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn earliest_due(conn: &Connection) -> Result<Option<DateTime<Utc>>, StoreError> {
        let seconds: Option<i64> = conn
            .query_row(
                "SELECT min(next_attempt_at) FROM stripe_outbox WHERE state = 'pending'",
                [],
                |row| row.get(0),
            )
            .op("read outbox schedule")?;
        Ok(seconds.and_then(|s| DateTime::from_timestamp(s, 0)))
    }

    /// Pending and failed items, oldest first.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list_open(conn: &Connection) -> Result<Vec<Self>, StoreError> {
        let mut statement = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM stripe_outbox WHERE state IN ('pending', 'failed') ORDER BY id"
            ))
            .op("list outbox")?;
        let rows = statement.query_map([], item_from_row).op("list outbox")?;
        rows.collect::<Result<_, _>>().op("list outbox")
    }

    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn counts(conn: &Connection) -> Result<OutboxCounts, StoreError> {
        conn.query_row(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'failed')
               FROM stripe_outbox WHERE state IN ('pending', 'failed')",
            [],
            |row| {
                Ok(OutboxCounts {
                    pending: row.get(0)?,
                    failed: row.get(1)?,
                })
            },
        )
        .op("count outbox")
    }

    /// Counts an attempt before the call is made, so that after a crash the
    /// next attempt can tell an earlier one may have reached Stripe. Returns
    /// the attempt number.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn begin_attempt(tx: &Transaction<'_>, id: i64, now: DateTime<Utc>) -> Result<i64, StoreError> {
        tx.query_row(
            "UPDATE stripe_outbox SET attempts = attempts + 1, updated_at = ?2 WHERE id = ?1 RETURNING attempts",
            params![id, now.timestamp()],
            |row| row.get(0),
        )
        .op("count outbox attempt")
    }

    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn mark_done(
        tx: &Transaction<'_>,
        id: i64,
        result: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE stripe_outbox SET state = 'done', last_error = NULL, result_json = ?2, updated_at = ?3
              WHERE id = ?1",
            params![id, result.to_string(), now.timestamp()],
        )
        .op("complete outbox item")?;
        Ok(())
    }

    /// Keeps the item pending, due again at `next_attempt_at`.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn postpone(
        tx: &Transaction<'_>,
        id: i64,
        error: &str,
        next_attempt_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE stripe_outbox SET last_error = ?2, next_attempt_at = ?3, updated_at = ?4
              WHERE id = ?1 AND state = 'pending'",
            params![id, error, next_attempt_at.timestamp(), now.timestamp()],
        )
        .op("postpone outbox item")?;
        Ok(())
    }

    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn mark_failed(
        tx: &Transaction<'_>,
        id: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        tx.execute(
            "UPDATE stripe_outbox SET state = 'failed', last_error = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, error, now.timestamp()],
        )
        .op("fail outbox item")?;
        Ok(())
    }

    /// Makes a failed or pending item due now. Returns the item, or an
    /// error when it is done or dismissed.
    ///
    /// # Errors
    /// `StoreError::NotFound` for an unknown id, `StoreError::OutboxClosed`
    /// for an item that is done or dismissed.
    pub fn retry(tx: &Transaction<'_>, id: i64, now: DateTime<Utc>) -> Result<Self, StoreError> {
        Self::transition(tx, id, "pending", now)
    }

    /// Gives up a failed or pending item.
    ///
    /// # Errors
    /// As for [`OutboxItem::retry`].
    pub fn dismiss(tx: &Transaction<'_>, id: i64, now: DateTime<Utc>) -> Result<Self, StoreError> {
        Self::transition(tx, id, "dismissed", now)
    }

    fn transition(
        tx: &Transaction<'_>,
        id: i64,
        state: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let item = Self::find(tx, id)?.ok_or_else(|| StoreError::not_found("outbox item", id))?;
        if !matches!(item.state, OutboxState::Pending | OutboxState::Failed) {
            return Err(StoreError::OutboxClosed {
                id,
                state: item.state.as_str(),
            });
        }
        tx.execute(
            "UPDATE stripe_outbox SET state = ?2, next_attempt_at = ?3, updated_at = ?3 WHERE id = ?1",
            params![id, state, now.timestamp()],
        )
        .op("change outbox item")?;
        Self::find(tx, id)?.ok_or_else(|| StoreError::not_found("outbox item", id))
    }

    /// Makes every pending item due now: the network is back.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the write fails.
    pub fn make_all_due(tx: &Transaction<'_>, now: DateTime<Utc>) -> Result<usize, StoreError> {
        tx.execute(
            "UPDATE stripe_outbox SET next_attempt_at = ?1 WHERE state = 'pending' AND next_attempt_at > ?1",
            [now.timestamp()],
        )
        .op("reschedule outbox")
    }
}
