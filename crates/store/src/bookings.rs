//! Queries of the `bookings` table and the conflict rule.
//!
//! A confirmed booking may not overlap another confirmed booking on the same
//! resource, teacher or student. Every write path checks that inside the
//! caller's `BEGIN IMMEDIATE` transaction, right before its write.

use chrono::{DateTime, Utc};
use melody_domain::{
    cancellation_outcome, BookingStatus, LateCancelWindow, LessonWindow, PenaltyReason, ResourceId,
    MAX_DURATION_MIN,
};
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, EventKind};
use crate::error::{ResultExt, StoreError};
use crate::metrics;
use crate::people::{Student, Teacher};
use crate::resources::Resource;
use crate::timestamp;

/// A stored lesson. `resource_id` is `None` only for bookings written before
/// multi-resource scheduling and not yet backfilled; they count as `primary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Booking {
    pub id: i64,
    pub resource_id: Option<String>,
    pub teacher_id: i64,
    pub student_id: i64,
    pub start: DateTime<Utc>,
    pub duration_min: u32,
    /// `confirmed` or `cancelled`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: BookingStatus,
    /// `late_cancel` for a cancellation inside the late-cancel window.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub penalty_reason: Option<PenaltyReason>,
    pub notes: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// The open reschedule of this booking, if one was initiated.
    pub pending_reschedule_id: Option<i64>,
    /// The weekly series this lesson belongs to, if any.
    pub series_id: Option<i64>,
    /// The studio-local date the lesson was planned for in its series.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub series_date: Option<chrono::NaiveDate>,
}

impl Booking {
    pub fn window(&self) -> LessonWindow {
        LessonWindow::new(self.start, i64::from(self.duration_min))
            .expect("the CHECK constraint keeps stored durations in range")
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.window().end()
    }

    /// The resource the booking occupies, `primary` for legacy rows.
    pub fn effective_resource(&self) -> &str {
        self.resource_id
            .as_deref()
            .unwrap_or(melody_domain::ids::PRIMARY_RESOURCE)
    }
}

/// What the desk asks to book.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub resource: ResourceId,
    pub teacher_id: i64,
    pub student_id: i64,
    pub window: LessonWindow,
    pub notes: Option<String>,
    pub created_by: String,
}

/// Which of a lesson's parties an existing booking already occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ConflictOn {
    Resource,
    Teacher,
    Student,
}

impl ConflictOn {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resource => "resource",
            Self::Teacher => "teacher",
            Self::Student => "student",
        }
    }
}

/// An existing confirmed booking that a requested lesson overlaps.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conflict {
    pub booking: Booking,
    pub on: Vec<ConflictOn>,
}

const COLUMNS: &str = "b.id, b.resource_id, b.teacher_id, b.student_id, b.start_at, b.duration_min, \
     b.status, b.penalty_reason, b.notes, b.created_by, b.created_at, b.updated_at, b.cancelled_at, \
     b.pending_reschedule_id, b.series_id, b.series_date";

/// Seconds a booking can last at most: a booking starting earlier than
/// `start - MAX_SPAN` cannot reach `start`, which bounds index range scans.
const MAX_SPAN: i64 = MAX_DURATION_MIN as i64 * 60;

fn parse_text<T: std::str::FromStr>(index: usize, value: &str) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    value
        .parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Booking> {
    // Borrowed reads: a week's list decodes thousands of rows.
    let status = row.get_ref(6)?.as_str()?;
    let penalty = row.get_ref(7)?.as_str_or_null()?;
    Ok(Booking {
        id: row.get(0)?,
        resource_id: row.get(1)?,
        teacher_id: row.get(2)?,
        student_id: row.get(3)?,
        start: timestamp::read(row, 4)?,
        duration_min: row.get(5)?,
        status: parse_text(6, status)?,
        penalty_reason: penalty.map(|p| parse_text(7, p)).transpose()?,
        notes: row.get(8)?,
        created_by: row.get(9)?,
        created_at: timestamp::read(row, 10)?,
        updated_at: timestamp::read(row, 11)?,
        cancelled_at: timestamp::read_optional(row, 12)?,
        pending_reschedule_id: row.get(13)?,
        series_id: row.get(14)?,
        series_date: row
            .get_ref(15)?
            .as_str_or_null()?
            .map(|date| parse_text(15, date))
            .transpose()?,
    })
}

impl Booking {
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find(conn: &Connection, id: i64) -> Result<Option<Self>, StoreError> {
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM bookings b WHERE b.id = ?1"))
            .op("read booking")?
            .query_row([id], from_row)
            .optional()
            .op("read booking")
    }

    /// # Errors
    /// `StoreError::NotFound` when no booking has that id.
    pub fn get(conn: &Connection, id: i64) -> Result<Self, StoreError> {
        Self::find(conn, id)?.ok_or_else(|| StoreError::not_found("booking", id))
    }

    /// Bookings of any status overlapping `[from, to)`, optionally on one
    /// resource, ordered by start.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list(
        conn: &Connection,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        resource: Option<&ResourceId>,
    ) -> Result<Vec<Self>, StoreError> {
        let (from, to) = (from.timestamp(), to.timestamp());
        let overlap = "b.start_at > ?1 - ?3 AND b.start_at < ?2 AND b.start_at + b.duration_min * 60 > ?1";
        let sql = match resource {
            None => format!("SELECT {COLUMNS} FROM bookings b WHERE {overlap} ORDER BY b.start_at, b.id"),
            Some(_) => format!(
                "SELECT {COLUMNS} FROM bookings b WHERE b.resource_id = ?4 AND {overlap} \
                 UNION ALL \
                 SELECT {COLUMNS} FROM bookings b WHERE ?4 = 'primary' AND b.resource_id IS NULL AND {overlap} \
                 ORDER BY 5, 1"
            ),
        };
        let mut stmt = conn.prepare_cached(&sql).op("list bookings")?;
        let rows = match resource {
            None => stmt.query_map(params![from, to, MAX_SPAN], from_row),
            Some(id) => stmt.query_map(params![from, to, MAX_SPAN, id.as_str()], from_row),
        }
        .op("list bookings")?;
        rows.collect::<rusqlite::Result<_>>().op("list bookings")
    }
}

/// Confirmed bookings, other than `exclude`, that a lesson in `window` on
/// `resource` with this teacher and student would overlap.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn find_conflicts(
    conn: &Connection,
    resource: &ResourceId,
    teacher_id: i64,
    student_id: i64,
    window: LessonWindow,
    exclude: Option<i64>,
) -> Result<Vec<Conflict>, StoreError> {
    let overlap = "b.status = 'confirmed' AND b.id IS NOT ?6 \
                   AND b.start_at > ?1 - ?3 AND b.start_at < ?2 AND b.start_at + b.duration_min * 60 > ?1";
    let sql = format!(
        "SELECT {COLUMNS} FROM bookings b WHERE b.resource_id = ?4 AND {overlap} \
         UNION \
         SELECT {COLUMNS} FROM bookings b WHERE ?4 = 'primary' AND b.resource_id IS NULL AND {overlap} \
         UNION \
         SELECT {COLUMNS} FROM bookings b WHERE b.teacher_id = ?5 AND {overlap} \
         UNION \
         SELECT {COLUMNS} FROM bookings b WHERE b.student_id = ?7 AND {overlap} \
         ORDER BY 5, 1"
    );
    let mut stmt = conn.prepare_cached(&sql).op("check booking conflicts")?;
    let start = window.start().timestamp();
    let end = window.end().timestamp();
    let rows = stmt
        .query_map(
            params![
                start,
                end,
                MAX_SPAN,
                resource.as_str(),
                teacher_id,
                exclude,
                student_id
            ],
            from_row,
        )
        .op("check booking conflicts")?;
    let bookings: Vec<Booking> = rows
        .collect::<rusqlite::Result<_>>()
        .op("check booking conflicts")?;
    Ok(bookings
        .into_iter()
        .map(|booking| {
            let mut on = Vec::with_capacity(3);
            if booking.effective_resource() == resource.as_str() {
                on.push(ConflictOn::Resource);
            }
            if booking.teacher_id == teacher_id {
                on.push(ConflictOn::Teacher);
            }
            if booking.student_id == student_id {
                on.push(ConflictOn::Student);
            }
            Conflict { booking, on }
        })
        .collect())
}

/// Fails with `NotFound` naming the first of resource, teacher and student
/// that does not exist.
pub(crate) fn ensure_parties_exist(
    conn: &Connection,
    resource: &ResourceId,
    teacher_id: i64,
    student_id: i64,
) -> Result<(), StoreError> {
    if Resource::find(conn, resource)?.is_none() {
        return Err(StoreError::not_found("resource", resource));
    }
    if Teacher::find(conn, teacher_id)?.is_none() {
        return Err(StoreError::not_found("teacher", teacher_id));
    }
    if Student::find(conn, student_id)?.is_none() {
        return Err(StoreError::not_found("student", student_id));
    }
    Ok(())
}

/// Fails with `Conflict` listing every overlapping confirmed booking.
pub(crate) fn ensure_free(
    conn: &Connection,
    resource: &ResourceId,
    teacher_id: i64,
    student_id: i64,
    window: LessonWindow,
    exclude: Option<i64>,
) -> Result<(), StoreError> {
    let conflicts = find_conflicts(conn, resource, teacher_id, student_id, window, exclude)?;
    if conflicts.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Conflict { conflicts })
    }
}

/// Bookings matching `filter` (an SQL condition on `b` with its value as
/// `?1`) that start at or after `?2`, in start order.
pub(crate) fn list_filtered(
    conn: &Connection,
    filter: &str,
    values: impl rusqlite::Params,
) -> Result<Vec<Booking>, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM bookings b WHERE {filter} AND b.start_at >= ?2 ORDER BY b.start_at, b.id"
        ))
        .op("list feed bookings")?;
    let rows = statement.query_map(values, from_row).op("list feed bookings")?;
    rows.collect::<rusqlite::Result<_>>().op("list feed bookings")
}

/// The lessons of series `series_id`, in planned order.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn list_series(conn: &Connection, series_id: i64) -> Result<Vec<Booking>, StoreError> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM bookings b WHERE b.series_id = ?1 ORDER BY b.series_date, b.id"
        ))
        .op("list series lessons")?;
    let rows = statement
        .query_map([series_id], from_row)
        .op("list series lessons")?;
    rows.collect::<rusqlite::Result<_>>().op("list series lessons")
}

impl NewBooking {
    /// Checks the parties and the conflict rule, then inserts the booking as
    /// confirmed with its audit entry and analytics events.
    ///
    /// # Errors
    /// `NotFound` for a missing resource, teacher or student; `Conflict` with
    /// every overlapping booking.
    pub fn insert(&self, tx: &Transaction<'_>, now: DateTime<Utc>) -> Result<Booking, StoreError> {
        self.insert_with(tx, now, None)
    }

    /// As [`NewBooking::insert`], for the lesson of series `series_id`
    /// planned on the studio-local `date`.
    ///
    /// # Errors
    /// As for [`NewBooking::insert`].
    pub fn insert_in_series(
        &self,
        tx: &Transaction<'_>,
        now: DateTime<Utc>,
        series_id: i64,
        date: chrono::NaiveDate,
    ) -> Result<Booking, StoreError> {
        self.insert_with(tx, now, Some((series_id, date)))
    }

    fn insert_with(
        &self,
        tx: &Transaction<'_>,
        now: DateTime<Utc>,
        series: Option<(i64, chrono::NaiveDate)>,
    ) -> Result<Booking, StoreError> {
        ensure_parties_exist(tx, &self.resource, self.teacher_id, self.student_id)?;
        ensure_free(
            tx,
            &self.resource,
            self.teacher_id,
            self.student_id,
            self.window,
            None,
        )?;

        tx.prepare_cached(
            "INSERT INTO bookings (resource_id, teacher_id, student_id, start_at, duration_min, status, \
             notes, created_by, created_at, updated_at, series_id, series_date) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'confirmed', ?6, ?7, ?8, ?8, ?9, ?10)",
        )
        .op("insert booking")?
        .execute(params![
            self.resource.as_str(),
            self.teacher_id,
            self.student_id,
            self.window.start().timestamp(),
            self.window.duration_min(),
            self.notes,
            self.created_by,
            now.timestamp(),
            series.map(|(id, _)| id),
            series.map(|(_, date)| date.to_string()),
        ])
        .op("insert booking")?;
        let booking = Booking::get(tx, tx.last_insert_rowid())?;

        metrics::on_confirmed(tx, booking.effective_resource(), booking.duration_min)?;
        audit::record(
            tx,
            booking.id,
            &self.created_by,
            now,
            "created",
            None,
            Some(&booking),
        )?;
        let data = json!({ "start": booking.start, "duration_min": booking.duration_min });
        audit::append_event(tx, EventKind::BookingCreated, &booking, now, &data)?;
        audit::append_event(tx, EventKind::BookingConfirmed, &booking, now, &data)?;
        Ok(booking)
    }
}

/// Cancels a confirmed booking, marking it `late_cancel` when `now` is inside
/// the late-cancel window. An open reschedule of it is abandoned.
///
/// # Errors
/// `NotFound`, or `NotConfirmed` when it is already cancelled.
pub fn cancel(
    tx: &Transaction<'_>,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
    window: LateCancelWindow,
) -> Result<Booking, StoreError> {
    let mut before = Booking::get(tx, id)?;
    if before.status != BookingStatus::Confirmed {
        return Err(StoreError::NotConfirmed {
            id,
            status: before.status.to_string(),
        });
    }
    let outcome = cancellation_outcome(before.start, now, window);

    // The abandon gets its own audit entry; the cancellation's `before` is
    // the row as it stood after it.
    if before.pending_reschedule_id.is_some() {
        crate::reschedules::abandon(tx, id, actor, now)?;
        before = Booking::get(tx, id)?;
    }
    tx.prepare_cached(
        "UPDATE bookings SET status = 'cancelled', penalty_reason = ?2, cancelled_at = ?3, updated_at = ?3 \
         WHERE id = ?1",
    )
    .op("cancel booking")?
    .execute(params![
        id,
        outcome.penalty.map(PenaltyReason::as_str),
        now.timestamp()
    ])
    .op("cancel booking")?;
    let after = Booking::get(tx, id)?;

    metrics::on_cancelled(
        tx,
        after.effective_resource(),
        after.duration_min,
        outcome.is_late(),
    )?;
    audit::record(tx, id, actor, now, "cancelled", Some(&before), Some(&after))?;
    let data = json!({
        "late": outcome.is_late(),
        "penalty_reason": outcome.penalty,
        "start": after.start,
        "window_hours": window.hours(),
    });
    audit::append_event(tx, EventKind::BookingCancelled, &after, now, &data)?;
    Ok(after)
}
