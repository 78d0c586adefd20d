//! Two-step reschedules. Initiating records the request time and the lead
//! time; completing moves the booking to its new slot in one transaction;
//! abandoning closes the request and leaves the booking as it was. None of
//! these is a cancellation: no penalty applies and payment state is kept.

use chrono::{DateTime, Utc};
use melody_domain::{reschedule_lead_time_hours, BookingStatus, LessonWindow, ResourceId};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, EventKind};
use crate::bookings::{ensure_free, Booking};
use crate::error::{ResultExt, StoreError};
use crate::metrics;
use crate::resources::Resource;
use crate::timestamp;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reschedule {
    pub id: i64,
    pub booking_id: i64,
    /// `pending`, `completed` or `abandoned`.
    pub status: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub original_start: DateTime<Utc>,
    pub original_resource_id: Option<String>,
    /// Hours from the request to the original start; negative once it began.
    pub lead_time_hours: f64,
    pub resolved_at: Option<DateTime<Utc>>,
    pub new_start: Option<DateTime<Utc>>,
    pub new_resource_id: Option<String>,
}

const COLUMNS: &str = "id, booking_id, status, requested_by, requested_at, original_start_at, \
     original_resource_id, lead_time_hours, resolved_at, new_start_at, new_resource_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Reschedule> {
    Ok(Reschedule {
        id: row.get(0)?,
        booking_id: row.get(1)?,
        status: row.get(2)?,
        requested_by: row.get(3)?,
        requested_at: timestamp::read(row, 4)?,
        original_start: timestamp::read(row, 5)?,
        original_resource_id: row.get(6)?,
        lead_time_hours: row.get(7)?,
        resolved_at: timestamp::read_optional(row, 8)?,
        new_start: timestamp::read_optional(row, 9)?,
        new_resource_id: row.get(10)?,
    })
}

impl Reschedule {
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find(conn: &Connection, id: i64) -> Result<Option<Self>, StoreError> {
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM reschedules WHERE id = ?1"))
            .op("read reschedule")?
            .query_row([id], from_row)
            .optional()
            .op("read reschedule")
    }

    fn pending_of(conn: &Connection, booking_id: i64) -> Result<Self, StoreError> {
        conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM reschedules WHERE booking_id = ?1 AND status = 'pending'"
        ))
        .op("read pending reschedule")?
        .query_row([booking_id], from_row)
        .optional()
        .op("read pending reschedule")?
        .ok_or(StoreError::NoPendingReschedule { id: booking_id })
    }
}

fn set_pending(tx: &Transaction<'_>, booking_id: i64, reschedule_id: Option<i64>) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE bookings SET pending_reschedule_id = ?2 WHERE id = ?1")
        .op("mark pending reschedule")?
        .execute(params![booking_id, reschedule_id])
        .op("mark pending reschedule")?;
    Ok(())
}

fn confirmed_booking(conn: &Connection, id: i64) -> Result<Booking, StoreError> {
    let booking = Booking::get(conn, id)?;
    if booking.status != BookingStatus::Confirmed {
        return Err(StoreError::NotConfirmed {
            id,
            status: booking.status.to_string(),
        });
    }
    Ok(booking)
}

/// Opens a reschedule request for a confirmed booking.
///
/// # Errors
/// `NotFound`, `NotConfirmed`, or `ReschedulePending` when one is open.
pub fn initiate(
    tx: &Transaction<'_>,
    booking_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Reschedule, StoreError> {
    let booking = confirmed_booking(tx, booking_id)?;
    if booking.pending_reschedule_id.is_some() {
        return Err(StoreError::ReschedulePending { id: booking_id });
    }
    let lead_time_hours = reschedule_lead_time_hours(booking.start, now);

    tx.prepare_cached(
        "INSERT INTO reschedules (booking_id, status, requested_by, requested_at, original_start_at, \
         original_resource_id, lead_time_hours) VALUES (?1, 'pending', ?2, ?3, ?4, ?5, ?6)",
    )
    .op("insert reschedule")?
    .execute(params![
        booking_id,
        actor,
        now.timestamp(),
        booking.start.timestamp(),
        booking.resource_id,
        lead_time_hours
    ])
    .op("insert reschedule")?;
    let reschedule_id = tx.last_insert_rowid();
    set_pending(tx, booking_id, Some(reschedule_id))?;
    metrics::on_reschedule_initiated(tx, reschedule_id, lead_time_hours)?;
    let reschedule = Reschedule::find(tx, reschedule_id)?
        .ok_or_else(|| StoreError::not_found("reschedule", reschedule_id))?;

    audit::record(
        tx,
        booking_id,
        actor,
        now,
        "reschedule_initiated",
        None,
        Some(&reschedule),
    )?;
    let data = json!({ "reschedule_id": reschedule.id, "lead_time_hours": lead_time_hours });
    audit::append_event(tx, EventKind::RescheduleInitiated, &booking, now, &data)?;
    Ok(reschedule)
}

/// Moves the booking to `new_start` (and `new_resource`, if given), keeping
/// its length. The booking does not conflict with its own old slot.
///
/// # Errors
/// `NoPendingReschedule`, `NotFound` for an unknown resource, or `Conflict`.
pub fn complete(
    tx: &Transaction<'_>,
    booking_id: i64,
    new_start: DateTime<Utc>,
    new_resource: Option<&ResourceId>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(Booking, Reschedule), StoreError> {
    let before = confirmed_booking(tx, booking_id)?;
    let pending = Reschedule::pending_of(tx, booking_id)?;
    let resource = match new_resource {
        Some(id) => id.clone(),
        None => ResourceId::parse(before.effective_resource())
            .map_err(|_| StoreError::not_found("resource", before.effective_resource()))?,
    };
    if Resource::find(tx, &resource)?.is_none() {
        return Err(StoreError::not_found("resource", &resource));
    }
    let window = LessonWindow::new(new_start, i64::from(before.duration_min))
        .expect("a stored duration is always valid");
    ensure_free(
        tx,
        &resource,
        before.teacher_id,
        before.student_id,
        window,
        Some(booking_id),
    )?;

    tx.prepare_cached(
        "UPDATE bookings SET start_at = ?2, resource_id = ?3, updated_at = ?4, pending_reschedule_id = NULL \
         WHERE id = ?1",
    )
    .op("move booking")?
    .execute(params![
        booking_id,
        window.start().timestamp(),
        resource.as_str(),
        now.timestamp()
    ])
    .op("move booking")?;
    tx.prepare_cached(
        "UPDATE reschedules SET status = 'completed', resolved_at = ?2, new_start_at = ?3, new_resource_id = ?4 \
         WHERE id = ?1",
    )
    .op("complete reschedule")?
    .execute(params![pending.id, now.timestamp(), window.start().timestamp(), resource.as_str()])
    .op("complete reschedule")?;
    let after = Booking::get(tx, booking_id)?;
    let reschedule =
        Reschedule::find(tx, pending.id)?.ok_or_else(|| StoreError::not_found("reschedule", pending.id))?;

    metrics::on_rescheduled(
        tx,
        before.effective_resource(),
        after.effective_resource(),
        after.duration_min,
    )?;
    audit::record(
        tx,
        booking_id,
        actor,
        now,
        "rescheduled",
        Some(&before),
        Some(&after),
    )?;
    let data = json!({
        "reschedule_id": reschedule.id,
        "from_start": before.start,
        "to_start": after.start,
        "from_resource_id": before.effective_resource(),
        "lead_time_hours": reschedule.lead_time_hours,
    });
    audit::append_event(tx, EventKind::BookingRescheduled, &after, now, &data)?;
    Ok((after, reschedule))
}

/// Closes the open reschedule request; the booking keeps its slot.
///
/// # Errors
/// `NotFound` or `NoPendingReschedule`.
pub fn abandon(
    tx: &Transaction<'_>,
    booking_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Reschedule, StoreError> {
    let booking = Booking::get(tx, booking_id)?;
    let pending = Reschedule::pending_of(tx, booking_id)?;

    tx.prepare_cached("UPDATE reschedules SET status = 'abandoned', resolved_at = ?2 WHERE id = ?1")
        .op("abandon reschedule")?
        .execute(params![pending.id, now.timestamp()])
        .op("abandon reschedule")?;
    set_pending(tx, booking_id, None)?;
    let reschedule =
        Reschedule::find(tx, pending.id)?.ok_or_else(|| StoreError::not_found("reschedule", pending.id))?;

    audit::record(
        tx,
        booking_id,
        actor,
        now,
        "reschedule_abandoned",
        Some(&pending),
        Some(&reschedule),
    )?;
    let data = json!({ "reschedule_id": reschedule.id });
    audit::append_event(tx, EventKind::RescheduleAbandoned, &booking, now, &data)?;
    Ok(reschedule)
}
