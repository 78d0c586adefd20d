//! The audit log (who changed a booking, when, and the row before and after)
//! and the append-only analytics event log. Both tables reject UPDATE and
//! DELETE with triggers.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Row, Transaction};
use serde::Serialize;

use crate::bookings::Booking;
use crate::error::{ResultExt, StoreError};
use crate::timestamp;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub booking_id: Option<i64>,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub action: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

fn to_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, StoreError> {
    value
        .map(serde_json::to_string)
        .transpose()
        .map_err(|source| StoreError::Json {
            what: "audit snapshot",
            source,
        })
}

/// Appends one audit entry. `before` and `after` are snapshots of the changed
/// row (or of what a tool changed), stored as JSON.
///
/// # Errors
/// `StoreError::Sqlite` when the insert fails.
pub(crate) fn record<T: Serialize>(
    tx: &Transaction<'_>,
    booking_id: impl Into<Option<i64>>,
    actor: &str,
    now: DateTime<Utc>,
    action: &str,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO audit_log (booking_id, actor, at, action, before_json, after_json) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .op("write audit entry")?
    .execute(params![
        booking_id.into(),
        actor,
        now.timestamp(),
        action,
        to_json(before)?,
        to_json(after)?
    ])
    .op("write audit entry")?;
    Ok(())
}

fn parse_json(index: usize, text: Option<String>) -> rusqlite::Result<Option<serde_json::Value>> {
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.get(0)?,
        booking_id: row.get(1)?,
        actor: row.get(2)?,
        at: timestamp::read(row, 3)?,
        action: row.get(4)?,
        before: parse_json(5, row.get(5)?)?,
        after: parse_json(6, row.get(6)?)?,
    })
}

impl AuditEntry {
    /// A booking's audit trail, oldest first.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn for_booking(conn: &Connection, booking_id: i64) -> Result<Vec<Self>, StoreError> {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, booking_id, actor, at, action, before_json, after_json \
                 FROM audit_log WHERE booking_id = ?1 ORDER BY id",
            )
            .op("read audit trail")?;
        let rows = stmt
            .query_map([booking_id], entry_from_row)
            .op("read audit trail")?;
        rows.collect::<rusqlite::Result<_>>().op("read audit trail")
    }

    /// Audit entries that belong to no single booking (data tools), oldest
    /// first.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn without_booking(conn: &Connection) -> Result<Vec<Self>, StoreError> {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, booking_id, actor, at, action, before_json, after_json \
                 FROM audit_log WHERE booking_id IS NULL ORDER BY id",
            )
            .op("read audit log")?;
        let rows = stmt.query_map([], entry_from_row).op("read audit log")?;
        rows.collect::<rusqlite::Result<_>>().op("read audit log")
    }
}

/// The kinds of analytics event; the catalogue in `docs/analytics-events.md`
/// lists the fields of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    BookingCreated,
    BookingConfirmed,
    BookingCancelled,
    RescheduleInitiated,
    BookingRescheduled,
    RescheduleAbandoned,
    ResourceBackfilled,
    /// A card was saved through a SetupIntent.
    CardSaved,
    CardSetupFailed,
    SubscriptionStatusChanged,
    InvoicePaid,
    InvoicePaymentFailed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BookingCreated => "booking_created",
            Self::BookingConfirmed => "booking_confirmed",
            Self::BookingCancelled => "booking_cancelled",
            Self::RescheduleInitiated => "reschedule_initiated",
            Self::BookingRescheduled => "booking_rescheduled",
            Self::RescheduleAbandoned => "reschedule_abandoned",
            Self::ResourceBackfilled => "resource_backfilled",
            Self::CardSaved => "card_saved",
            Self::CardSetupFailed => "card_setup_failed",
            Self::SubscriptionStatusChanged => "subscription_status_changed",
            Self::InvoicePaid => "invoice_paid",
            Self::InvoicePaymentFailed => "invoice_payment_failed",
        }
    }
}

/// Appends an analytics event about `booking`, tagged with the resource it
/// occupies after the change.
///
/// # Errors
/// `StoreError::Sqlite` when the insert fails.
pub(crate) fn append_event(
    tx: &Transaction<'_>,
    kind: EventKind,
    booking: &Booking,
    now: DateTime<Utc>,
    data: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO analytics_events (at, kind, booking_id, resource_id, data_json) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .op("write analytics event")?
    .execute(params![
        now.timestamp(),
        kind.as_str(),
        booking.id,
        booking.effective_resource(),
        data.to_string()
    ])
    .op("write analytics event")?;
    Ok(())
}

/// Appends a payment event, which belongs to no booking or resource.
///
/// # Errors
/// `StoreError::Sqlite` when the insert fails.
pub fn append_payment_event(
    tx: &Transaction<'_>,
    kind: EventKind,
    now: DateTime<Utc>,
    data: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO analytics_events (at, kind, data_json) VALUES (?1, ?2, ?3)")
        .op("write analytics event")?
        .execute(params![now.timestamp(), kind.as_str(), data.to_string()])
        .op("write analytics event")?;
    Ok(())
}

/// One analytics event as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnalyticsEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub booking_id: Option<i64>,
    pub resource_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

impl AnalyticsEvent {
    /// Events with an id above `after_id`, oldest first, at most `limit`.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list_after(conn: &Connection, after_id: i64, limit: u32) -> Result<Vec<Self>, StoreError> {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, at, kind, booking_id, resource_id, data_json FROM analytics_events \
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )
            .op("read analytics events")?;
        let rows = stmt
            .query_map(params![after_id, limit], |row| {
                Ok(AnalyticsEvent {
                    id: row.get(0)?,
                    at: timestamp::read(row, 1)?,
                    kind: row.get(2)?,
                    booking_id: row.get(3)?,
                    resource_id: row.get(4)?,
                    data: parse_json(5, row.get(5)?)?.unwrap_or_default(),
                })
            })
            .op("read analytics events")?;
        rows.collect::<rusqlite::Result<_>>().op("read analytics events")
    }
}
