//! iCalendar feeds of a teacher, a resource or a student: each series as one
//! event with a weekly RRULE, EXDATE for its lessons that were cancelled or
//! never booked, and an override (RECURRENCE-ID) for each lesson moved off
//! its planned slot; every other booking as a single event.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use melody_calendar::{write_calendar, FeedEvent, WeeklyRecurrence};
use melody_domain::{BookingStatus, SeriesEnd, StudioZone};
use melody_store::feeds::{feed_bookings, FeedToken};
use melody_store::series::{FeedColumn, Series};
use melody_store::{Booking, Resource, StoreError, Student, Teacher};
use rusqlite::Connection;

/// How far back a feed reaches, in days: enough for last term's lessons.
pub const FEED_PAST_DAYS: i64 = 180;

struct Names {
    teachers: HashMap<i64, String>,
    students: HashMap<i64, String>,
    resources: HashMap<String, String>,
}

impl Names {
    fn load(conn: &Connection) -> Result<Self, StoreError> {
        Ok(Self {
            teachers: Teacher::list(conn)?.into_iter().map(|t| (t.id, t.name)).collect(),
            students: Student::list(conn)?.into_iter().map(|s| (s.id, s.name)).collect(),
            resources: Resource::list(conn)?
                .into_iter()
                .map(|r| (r.id.to_string(), r.name))
                .collect(),
        })
    }

    fn summary(&self, resource: &str, teacher_id: i64, student_id: i64) -> String {
        let unknown = || "?".to_owned();
        format!(
            "Lesson: {} with {} ({})",
            self.students.get(&student_id).cloned().unwrap_or_else(unknown),
            self.teachers.get(&teacher_id).cloned().unwrap_or_else(unknown),
            self.resources
                .get(resource)
                .cloned()
                .unwrap_or_else(|| resource.to_owned())
        )
    }
}

impl Names {
    /// One booking as its own event, or as the override of the series slot
    /// starting at `recurrence_id`.
    fn lesson_event(
        &self,
        booking: &Booking,
        uid: String,
        recurrence_id: Option<DateTime<Utc>>,
    ) -> FeedEvent {
        FeedEvent {
            uid,
            summary: self.summary(
                booking.effective_resource(),
                booking.teacher_id,
                booking.student_id,
            ),
            description: booking.notes.clone(),
            location: self.resources.get(booking.effective_resource()).cloned(),
            start: booking.start,
            duration_min: i64::from(booking.duration_min),
            cancelled: false,
            recurrence: None,
            exdates: Vec::new(),
            recurrence_id,
        }
    }
}

fn matches(column: FeedColumn, target: &str, booking: &Booking) -> bool {
    match column {
        FeedColumn::Teacher => booking.teacher_id.to_string() == target,
        FeedColumn::Student => booking.student_id.to_string() == target,
        FeedColumn::Resource => booking.effective_resource() == target,
    }
}

/// A name for the feed, such as `MelodyandMeter: Ada Lovelace`.
fn feed_name(names: &Names, feed: &FeedToken) -> String {
    let parsed = feed.target.parse::<i64>().ok();
    let who = match feed.column() {
        FeedColumn::Teacher => parsed.and_then(|id| names.teachers.get(&id).cloned()),
        FeedColumn::Student => parsed.and_then(|id| names.students.get(&id).cloned()),
        FeedColumn::Resource => names.resources.get(&feed.target).cloned(),
    };
    format!("MelodyandMeter: {}", who.unwrap_or_else(|| feed.target.clone()))
}

/// Writes the feed of `feed` as RFC 5545 text.
///
/// # Errors
/// The store cannot be read.
pub fn render(
    conn: &Connection,
    feed: &FeedToken,
    zone: StudioZone,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let names = Names::load(conn)?;
    let column = feed.column();
    let from = now - Duration::days(FEED_PAST_DAYS);
    let mut events = Vec::new();
    let mut covered: HashSet<i64> = HashSet::new();

    // NOTE: series are written in the current studio zone, and their
    // lessons were planned in the zone of the day each series was made; the
    // two differ only when STUDIO_TIMEZONE changed in between. A first
    // lesson moved by a daylight saving gap makes DTSTART, and so every
    // occurrence calendar apps compute, an hour late.
    for series in Series::list_where(conn, column, &feed.target)? {
        let lessons = Series::bookings(conn, series.id)?;
        let series_zone = series.studio_zone();
        let slots = series.rule().slots(series_zone);
        let Some(first) = slots.first() else { continue };
        let uid = format!("series-{}@melodyandmeter", series.id);
        let summary = names.summary(&series.resource_id, series.teacher_id, series.student_id);
        let by_date: HashMap<_, &Booking> = lessons
            .iter()
            .filter(|b| b.status == BookingStatus::Confirmed && matches(column, &feed.target, b))
            .filter_map(|b| b.series_date.map(|d| (d, b)))
            .collect();

        let mut exdates = Vec::new();
        for slot in &slots {
            match by_date.get(&slot.date) {
                Some(booking) => {
                    covered.insert(booking.id);
                    let same_slot = booking.start == slot.start
                        && booking.duration_min == series.duration_min
                        && booking.effective_resource() == series.resource_id
                        && booking.teacher_id == series.teacher_id;
                    if !same_slot {
                        events.push(names.lesson_event(booking, uid.clone(), Some(slot.start)));
                    }
                }
                None => exdates.push(slot.start),
            }
        }
        let (until, count) = match series.rule().end {
            SeriesEnd::Until(_) => (slots.last().map(|s| s.start), None),
            SeriesEnd::Count(count) => (None, Some(count)),
        };
        events.push(FeedEvent {
            uid,
            summary,
            description: series.notes.clone(),
            location: names.resources.get(&series.resource_id).cloned(),
            start: first.start,
            duration_min: i64::from(series.duration_min),
            cancelled: false,
            recurrence: Some(WeeklyRecurrence {
                interval_weeks: series.interval_weeks,
                until,
                count,
            }),
            exdates,
            recurrence_id: None,
        });
    }

    for booking in feed_bookings(conn, column, &feed.target, from)? {
        if booking.status != BookingStatus::Confirmed || covered.contains(&booking.id) {
            continue;
        }
        let uid = format!("booking-{}@melodyandmeter", booking.id);
        events.push(names.lesson_event(&booking, uid, None));
    }
    Ok(write_calendar(&feed_name(&names, feed), zone.tz(), &events))
}
