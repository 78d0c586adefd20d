//! Weekly lesson series: creating every lesson of a series at once, and
//! changing or cancelling one lesson, this and the following ones, or all.
//! Every path checks the conflict rule inside the caller's write
//! transaction, and reports every conflicting lesson, not just the first.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use melody_domain::{
    wall_clock_instant, Adjustment, BookingStatus, LateCancelWindow, LessonWindow, ResourceId, SeriesEnd,
    StudioZone, WeeklyRule,
};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;

use crate::bookings::{self, ensure_parties_exist, find_conflicts, Booking, Conflict, NewBooking};
use crate::error::{ResultExt, StoreError};
use crate::{audit, metrics, timestamp};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Series {
    pub id: i64,
    pub resource_id: String,
    pub teacher_id: i64,
    pub student_id: i64,
    /// Studio-local date of the first lesson.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub first_date: NaiveDate,
    /// Studio wall-clock time of the lessons, `HH:MM`.
    pub local_time: String,
    pub duration_min: u32,
    pub interval_weeks: u32,
    /// Last date a lesson may fall on, inclusive; or `count` is set.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub until: Option<NaiveDate>,
    pub count: Option<u32>,
    /// IANA zone the wall-clock time is read in.
    pub zone: String,
    pub notes: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl Series {
    /// Returns the rule its lessons follow.
    pub fn rule(&self) -> WeeklyRule {
        WeeklyRule {
            first_date: self.first_date,
            local_time: NaiveTime::parse_from_str(&self.local_time, "%H:%M").unwrap_or_default(),
            interval_weeks: self.interval_weeks,
            end: match (self.until, self.count) {
                (Some(until), _) => SeriesEnd::Until(until),
                (None, count) => SeriesEnd::Count(count.unwrap_or(1)),
            },
        }
    }

    pub fn studio_zone(&self) -> StudioZone {
        self.zone.parse().unwrap_or_default()
    }

    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn find(conn: &Connection, id: i64) -> Result<Option<Self>, StoreError> {
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM series WHERE id = ?1"))
            .op("read series")?
            .query_row([id], from_row)
            .optional()
            .op("read series")
    }

    /// # Errors
    /// `NotFound` for an unknown id.
    pub fn get(conn: &Connection, id: i64) -> Result<Self, StoreError> {
        Self::find(conn, id)?.ok_or_else(|| StoreError::not_found("series", id))
    }

    /// Series matching a feed's filter: `column` is `teacher_id`,
    /// `resource_id` or `student_id`.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn list_where(conn: &Connection, column: FeedColumn, value: &str) -> Result<Vec<Self>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM series WHERE {} = ?1 ORDER BY id",
            column.as_str()
        );
        let mut statement = conn.prepare_cached(&sql).op("list series")?;
        let rows = statement.query_map([value], from_row).op("list series")?;
        rows.collect::<Result<_, _>>().op("list series")
    }

    /// The series' lessons, in planned order.
    ///
    /// # Errors
    /// `StoreError::Sqlite` when the query fails.
    pub fn bookings(conn: &Connection, id: i64) -> Result<Vec<Booking>, StoreError> {
        bookings::list_series(conn, id)
    }
}

/// A column a feed filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedColumn {
    Teacher,
    Resource,
    Student,
}

impl FeedColumn {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Teacher => "teacher_id",
            Self::Resource => "resource_id",
            Self::Student => "student_id",
        }
    }
}

const COLUMNS: &str = "id, resource_id, teacher_id, student_id, first_date, local_time, duration_min, \
     interval_weeks, until_date, occurrence_count, zone, notes, created_by, created_at";

fn date_column(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let raw: Option<String> = row.get(index)?;
    raw.map(|text| {
        text.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Series> {
    Ok(Series {
        id: row.get(0)?,
        resource_id: row.get(1)?,
        teacher_id: row.get(2)?,
        student_id: row.get(3)?,
        first_date: date_column(row, 4)?.unwrap_or_default(),
        local_time: row.get(5)?,
        duration_min: row.get(6)?,
        interval_weeks: row.get(7)?,
        until: date_column(row, 8)?,
        count: row.get(9)?,
        zone: row.get(10)?,
        notes: row.get(11)?,
        created_by: row.get(12)?,
        created_at: timestamp::read(row, 13)?,
    })
}

/// The handling of a new series some of whose lessons conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// Book nothing and report every conflict.
    AllOrNone,
    /// Book the free lessons and report the others.
    FreeOnly,
}

/// One planned lesson of a series and the bookings it would overlap.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotReport {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    pub start: DateTime<Utc>,
    /// Set when the wall-clock time fell in a daylight saving gap or repeat.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub adjustment: Option<Adjustment>,
    /// Confirmed bookings the lesson would overlap.
    pub conflicts: Vec<Conflict>,
    /// The booking made for it.
    pub booking: Option<Booking>,
}

/// A series to create.
#[derive(Debug, Clone)]
pub struct NewSeries {
    pub resource: ResourceId,
    pub teacher_id: i64,
    pub student_id: i64,
    pub rule: WeeklyRule,
    pub duration_min: u32,
    pub zone: StudioZone,
    pub notes: Option<String>,
    pub created_by: String,
}

impl NewSeries {
    /// Every planned lesson with its conflicts, writing nothing.
    ///
    /// # Errors
    /// `NotFound` for a missing resource, teacher or student.
    pub fn plan(&self, conn: &Connection) -> Result<Vec<SlotReport>, StoreError> {
        ensure_parties_exist(conn, &self.resource, self.teacher_id, self.student_id)?;
        self.rule
            .slots(self.zone)
            .into_iter()
            .map(|slot| {
                let window = self.window(slot.start)?;
                let conflicts = find_conflicts(
                    conn,
                    &self.resource,
                    self.teacher_id,
                    self.student_id,
                    window,
                    None,
                )?;
                Ok(SlotReport {
                    date: slot.date,
                    start: slot.start,
                    adjustment: slot.adjustment,
                    conflicts,
                    booking: None,
                })
            })
            .collect()
    }

    fn window(&self, start: DateTime<Utc>) -> Result<LessonWindow, StoreError> {
        LessonWindow::new(start, i64::from(self.duration_min)).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Creates the series and books its lessons by `policy`.
    ///
    /// # Errors
    /// `SeriesConflict` listing every conflicting lesson when the policy is
    /// all-or-none (or when no lesson is free); `NotFound` for a missing party.
    pub fn insert(
        &self,
        tx: &Transaction<'_>,
        policy: ConflictPolicy,
        now: DateTime<Utc>,
    ) -> Result<(Series, Vec<SlotReport>), StoreError> {
        let mut slots = self.plan(tx)?;
        let conflicting: Vec<SlotReport> = slots
            .iter()
            .filter(|s| !s.conflicts.is_empty())
            .cloned()
            .collect();
        if !conflicting.is_empty()
            && (policy == ConflictPolicy::AllOrNone || conflicting.len() == slots.len())
        {
            return Err(StoreError::SeriesConflict { slots: conflicting });
        }

        let (until, count) = match self.rule.end {
            SeriesEnd::Until(until) => (Some(until.to_string()), None),
            SeriesEnd::Count(count) => (None, Some(count)),
        };
        tx.prepare_cached(
            "INSERT INTO series (resource_id, teacher_id, student_id, first_date, local_time, duration_min,
                 interval_weeks, until_date, occurrence_count, zone, notes, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .op("insert series")?
        .execute(params![
            self.resource.as_str(),
            self.teacher_id,
            self.student_id,
            self.rule.first_date.to_string(),
            self.rule.local_time.format("%H:%M").to_string(),
            self.duration_min,
            self.rule.interval_weeks,
            until,
            count,
            self.zone.name(),
            self.notes,
            self.created_by,
            now.timestamp(),
        ])
        .op("insert series")?;
        let series_id = tx.last_insert_rowid();

        for slot in slots.iter_mut().filter(|s| s.conflicts.is_empty()) {
            let booking = NewBooking {
                resource: self.resource.clone(),
                teacher_id: self.teacher_id,
                student_id: self.student_id,
                window: self.window(slot.start)?,
                notes: self.notes.clone(),
                created_by: self.created_by.clone(),
            };
            slot.booking = Some(booking.insert_in_series(tx, now, series_id, slot.date)?);
        }
        Ok((Series::get(tx, series_id)?, slots))
    }
}

/// The lessons of a series that a change or cancellation applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The given lesson only.
    One,
    /// The given lesson and every later one that has not started yet.
    Following,
    /// Every lesson that has not started yet.
    All,
}

/// New values for the chosen lessons; `None` keeps a lesson's own value.
#[derive(Debug, Clone, Default)]
pub struct SeriesChange {
    pub local_time: Option<NaiveTime>,
    pub duration_min: Option<u32>,
    pub resource: Option<ResourceId>,
    pub teacher_id: Option<i64>,
}

/// The confirmed lessons `scope` selects, from `anchor` (a lesson of the
/// series) or, for `All`, every lesson not started at `now`.
fn selected(
    conn: &Connection,
    series_id: i64,
    anchor: Option<i64>,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Vec<Booking>, StoreError> {
    let lessons = Series::bookings(conn, series_id)?;
    let anchor = match anchor {
        Some(id) => {
            let booking = lessons
                .iter()
                .find(|b| b.id == id)
                .cloned()
                .ok_or(StoreError::NotInSeries {
                    booking_id: id,
                    series_id,
                })?;
            Some(booking)
        }
        None if scope == Scope::All => None,
        None => {
            return Err(StoreError::Invalid(
                "booking_id is required for scope one or following".into(),
            ))
        }
    };
    let confirmed = |b: &&Booking| b.status == BookingStatus::Confirmed;
    let chosen: Vec<Booking> = match (scope, anchor) {
        (Scope::One, Some(anchor)) => vec![anchor],
        (Scope::Following, Some(anchor)) => lessons
            .iter()
            .filter(confirmed)
            .filter(|b| b.series_date >= anchor.series_date)
            .filter(|b| b.id == anchor.id || b.start >= now)
            .cloned()
            .collect(),
        _ => lessons
            .iter()
            .filter(confirmed)
            .filter(|b| b.start >= now)
            .cloned()
            .collect(),
    };
    Ok(chosen)
}

/// Changes the selected lessons in one step. Each keeps its planned date;
/// a new wall-clock time is read on that date by the series rules (a time
/// in a daylight saving gap moves forward, a repeated time takes its first
/// instant). Returns the changed lessons.
///
/// # Errors
/// `SeriesConflict` listing every lesson that would overlap another
/// booking (nothing is changed then); `NotConfirmed` for a cancelled
/// anchor; `NotFound` for a missing series, resource or teacher.
#[allow(clippy::too_many_arguments)]
pub fn change(
    tx: &Transaction<'_>,
    series_id: i64,
    anchor: Option<i64>,
    scope: Scope,
    change: &SeriesChange,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Booking>, StoreError> {
    let series = Series::get(tx, series_id)?;
    let zone = series.studio_zone();
    let lessons = selected(tx, series_id, anchor, scope, now)?;
    if let Some(cancelled) = lessons.iter().find(|b| b.status != BookingStatus::Confirmed) {
        return Err(StoreError::NotConfirmed {
            id: cancelled.id,
            status: cancelled.status.to_string(),
        });
    }
    let moving: HashSet<i64> = lessons.iter().map(|b| b.id).collect();

    let mut plans = Vec::with_capacity(lessons.len());
    let mut conflicting = Vec::new();
    for lesson in &lessons {
        let resource = match &change.resource {
            Some(resource) => resource.clone(),
            None => ResourceId::parse(lesson.effective_resource())
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
        };
        let teacher_id = change.teacher_id.unwrap_or(lesson.teacher_id);
        ensure_parties_exist(tx, &resource, teacher_id, lesson.student_id)?;
        let local = zone
            .tz()
            .from_utc_datetime(&lesson.start.naive_utc())
            .naive_local();
        let date = lesson.series_date.unwrap_or(local.date());
        let time = change.local_time.unwrap_or(local.time());
        let (start, adjustment) = wall_clock_instant(date.and_time(time), zone);
        let duration = change.duration_min.unwrap_or(lesson.duration_min);
        let window =
            LessonWindow::new(start, i64::from(duration)).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let conflicts: Vec<Conflict> =
            find_conflicts(tx, &resource, teacher_id, lesson.student_id, window, None)?
                .into_iter()
                .filter(|c| !moving.contains(&c.booking.id))
                .collect();
        if !conflicts.is_empty() {
            conflicting.push(SlotReport {
                date,
                start,
                adjustment,
                conflicts,
                booking: Some(lesson.clone()),
            });
        }
        plans.push((lesson, resource, teacher_id, window));
    }
    if !conflicting.is_empty() {
        return Err(StoreError::SeriesConflict { slots: conflicting });
    }

    let mut changed = Vec::with_capacity(plans.len());
    for (before, resource, teacher_id, window) in plans {
        tx.prepare_cached(
            "UPDATE bookings SET resource_id = ?2, teacher_id = ?3, start_at = ?4, duration_min = ?5, updated_at = ?6
              WHERE id = ?1",
        )
        .op("change series lesson")?
        .execute(params![
            before.id,
            resource.as_str(),
            teacher_id,
            window.start().timestamp(),
            window.duration_min(),
            now.timestamp()
        ])
        .op("change series lesson")?;
        let after = Booking::get(tx, before.id)?;
        metrics::on_changed(
            tx,
            before.effective_resource(),
            before.duration_min,
            after.effective_resource(),
            after.duration_min,
        )?;
        audit::record(
            tx,
            before.id,
            actor,
            now,
            "series_changed",
            Some(before),
            Some(&after),
        )?;
        changed.push(after);
    }

    // Changing every remaining lesson's time or length changes the rule, so
    // feeds show the new time as the series' own.
    if scope == Scope::All {
        tx.execute(
            "UPDATE series SET local_time = COALESCE(?2, local_time), duration_min = COALESCE(?3, duration_min),
                    resource_id = COALESCE(?4, resource_id), teacher_id = COALESCE(?5, teacher_id)
              WHERE id = ?1",
            params![
                series_id,
                change.local_time.map(|t| t.format("%H:%M").to_string()),
                change.duration_min,
                change.resource.as_ref().map(ResourceId::as_str),
                change.teacher_id
            ],
        )
        .op("change series")?;
    }
    Ok(changed)
}

/// Cancels the selected lessons, each by the late-cancel rule at `now`.
/// Returns them as cancelled.
///
/// # Errors
/// `NotConfirmed` for a cancelled anchor with scope one; `NotFound`.
pub fn cancel(
    tx: &Transaction<'_>,
    series_id: i64,
    anchor: Option<i64>,
    scope: Scope,
    actor: &str,
    now: DateTime<Utc>,
    window: LateCancelWindow,
) -> Result<Vec<Booking>, StoreError> {
    Series::get(tx, series_id)?;
    let lessons = selected(tx, series_id, anchor, scope, now)?;
    lessons
        .iter()
        .map(|lesson| bookings::cancel(tx, lesson.id, actor, now, window))
        .collect()
}
