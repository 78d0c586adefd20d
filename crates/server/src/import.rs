//! Importing an iCalendar export (Google, Outlook, Apple) as bookings: every
//! occurrence becomes a confirmed lesson on one resource. The plan (what
//! would be created, every conflict, every skipped event with its reason)
//! is computed first; the import writes the whole plan in one transaction,
//! or nothing when any occurrence conflicts.
//!
//! Rules, beyond those of the calendar crate:
//! - Occurrences before now are skipped unless `include_past` is set.
//! - A series without an end is expanded up to [`HORIZON_DAYS`] days after
//!   now; the notes say which series were cut off.
//! - Without a teacher, one teacher named `Imported from <calendar name>` is
//!   created (or reused by that exact name).
//! - Without a student, one student per distinct event summary is created
//!   (or reused by name), with a unique placeholder email
//!   `imported-<random hex>@example.invalid` until the desk enters the real
//!   one.

use chrono::{DateTime, Duration, Utc};
use melody_calendar::{expand, parse, ExpandOptions};
use melody_domain::{Email, LessonWindow, PersonName, ResourceId, StudioZone, MAX_DURATION_MIN};
use std::collections::HashMap;

use melody_store::bookings::{find_conflicts, Conflict};
use melody_store::{NewBooking, Resource, Store, StoreError, Student, Teacher};
use serde::Serialize;
use utoipa::ToSchema;

/// How far ahead an open-ended series is expanded, in days.
pub const HORIZON_DAYS: i64 = 366;

/// The options of one import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub resource: ResourceId,
    pub teacher_id: Option<i64>,
    pub student_id: Option<i64>,
    pub include_past: bool,
    /// Shown in the name of a created teacher.
    pub calendar_name: String,
    pub actor: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedLesson {
    /// RFC 3339 in UTC.
    pub start: DateTime<Utc>,
    pub duration_min: i64,
    pub summary: String,
    pub uid: String,
    /// Confirmed bookings, or earlier lessons of this import, it overlaps.
    pub conflicts: Vec<Conflict>,
    /// Lessons earlier in this file it overlaps, by position in `occurrences`.
    pub overlaps_in_file: Vec<usize>,
    /// The booking made for it, after a real import.
    pub booking_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkippedEvent {
    pub uid: Option<String>,
    pub summary: Option<String>,
    /// `all_day`, `cancelled`, `past`, `no_start`, `no_duration`,
    /// `invalid_line`, `invalid_value`, `invalid_rrule` or
    /// `unsupported_rrule`.
    pub code: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub occurrences: Vec<PlannedLesson>,
    pub skipped: Vec<SkippedEvent>,
    /// Decisions made on the user's behalf, such as a time zone fallback.
    pub notes: Vec<String>,
    /// People the import creates (or reused by name).
    pub teachers_to_create: Vec<String>,
    pub students_to_create: Vec<String>,
    /// Lessons with a conflict; the import writes nothing while any remain.
    pub conflicting: usize,
    /// Bookings written (0 for a dry run).
    pub created: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not an iCalendar file: {0}")]
    Parse(String),
    #[error("{conflicting} lesson(s) overlap existing bookings or each other: nothing was imported; run a dry run to see them")]
    Conflicts {
        conflicting: usize,
        report: Box<ImportReport>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Plans the import of `text` and, unless `dry_run`, writes it.
///
/// # Errors
/// `Parse` for a file that is not iCalendar; `Conflicts` (with the full
/// report) when a real import has conflicting lessons; `Store` for a
/// missing resource, teacher or student.
pub fn import_ics(
    store: &Store,
    text: &str,
    request: &ImportRequest,
    zone: StudioZone,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<ImportReport, ImportError> {
    let calendar = parse(text).map_err(|e| ImportError::Parse(e.to_string()))?;
    let options = ExpandOptions {
        zone: zone.tz(),
        now,
        include_past: request.include_past,
        horizon: now + Duration::days(HORIZON_DAYS),
    };
    let expansion = expand(&calendar, &options);

    let mut skipped: Vec<SkippedEvent> = expansion
        .skipped
        .iter()
        .map(|s| SkippedEvent {
            uid: s.uid.clone(),
            summary: s.summary.clone(),
            code: s.code.to_owned(),
            reason: s.reason.clone(),
        })
        .collect();
    // A lesson lasts at most 12 hours; a longer event is not a lesson.
    let (occurrences, too_long): (Vec<_>, Vec<_>) = expansion
        .occurrences
        .iter()
        .partition(|o| o.duration_min <= i64::from(MAX_DURATION_MIN));
    for occurrence in too_long {
        skipped.push(SkippedEvent {
            uid: Some(occurrence.uid.clone()),
            summary: Some(occurrence.summary.clone()),
            code: "too_long".to_owned(),
            reason: format!(
                "the occurrence at {} lasts {} minutes, longer than the {MAX_DURATION_MIN} a lesson may last",
                occurrence
                    .start
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                occurrence.duration_min
            ),
        });
    }
    let teacher_name = format!("Imported from {}", request.calendar_name);
    let mut student_names: Vec<String> = Vec::new();
    if request.student_id.is_none() {
        for occurrence in &occurrences {
            let name = student_name(&occurrence.summary);
            if !student_names.contains(&name) {
                student_names.push(name);
            }
        }
    }

    let write = |tx: &rusqlite::Transaction<'_>| -> Result<ImportReport, ImportError> {
        if Resource::find(tx, &request.resource)?.is_none() {
            return Err(StoreError::not_found("resource", &request.resource).into());
        }
        let teacher_id = match request.teacher_id {
            Some(id) => {
                Teacher::find(tx, id)?
                    .ok_or_else(|| StoreError::not_found("teacher", id))?
                    .id
            }
            None => teacher_for(tx, &teacher_name, now)?,
        };
        let fixed_student = match request.student_id {
            Some(id) => Some(
                Student::find(tx, id)?
                    .ok_or_else(|| StoreError::not_found("student", id))?
                    .id,
            ),
            None => None,
        };

        let mut report = ImportReport {
            dry_run,
            occurrences: Vec::with_capacity(occurrences.len()),
            skipped: skipped.clone(),
            notes: expansion.notes.clone(),
            teachers_to_create: if request.teacher_id.is_none() {
                vec![teacher_name.clone()]
            } else {
                Vec::new()
            },
            students_to_create: student_names.clone(),
            conflicting: 0,
            created: 0,
        };
        let mut students: HashMap<String, i64> = HashMap::new();
        // Lessons of this file that may still overlap the next one, by
        // position; occurrences come sorted by start.
        let mut open: Vec<(usize, LessonWindow)> = Vec::new();
        for (index, occurrence) in occurrences.iter().enumerate() {
            let student_id = match fixed_student {
                Some(id) => id,
                None => {
                    let name = student_name(&occurrence.summary);
                    match students.get(&name) {
                        Some(id) => *id,
                        None => {
                            let id = student_for(tx, &name, now)?;
                            students.insert(name, id);
                            id
                        }
                    }
                }
            };
            let window = LessonWindow::new(occurrence.start, occurrence.duration_min)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let conflicts = find_conflicts(tx, &request.resource, teacher_id, student_id, window, None)?;
            // Lessons of the file against each other: the same resource and
            // teacher throughout, so any overlap in time is a conflict.
            open.retain(|(_, other)| other.end() > window.start());
            let overlaps_in_file: Vec<usize> = open
                .iter()
                .filter(|(_, other)| other.overlaps(&window))
                .map(|(position, _)| *position)
                .collect();
            let mut lesson = PlannedLesson {
                start: occurrence.start,
                duration_min: occurrence.duration_min,
                summary: occurrence.summary.clone(),
                uid: occurrence.uid.clone(),
                conflicts,
                overlaps_in_file,
                booking_id: None,
            };
            if !lesson.conflicts.is_empty() || !lesson.overlaps_in_file.is_empty() {
                report.conflicting += 1;
            } else if !dry_run {
                let booking = NewBooking {
                    resource: request.resource.clone(),
                    teacher_id,
                    student_id,
                    window,
                    notes: Some(format!("Imported: {} ({})", occurrence.summary, occurrence.uid)),
                    created_by: request.actor.clone(),
                }
                .insert(tx, now)?;
                lesson.booking_id = Some(booking.id);
                report.created += 1;
            }
            open.push((index, window));
            report.occurrences.push(lesson);
        }
        if dry_run {
            // Nothing of a dry run may stay: the caller rolls back.
            return Ok(report);
        }
        if report.conflicting > 0 {
            return Err(ImportError::Conflicts {
                conflicting: report.conflicting,
                report: Box::new(report),
            });
        }
        Ok(report)
    };

    if dry_run {
        // Plan inside a transaction that is always rolled back, so the
        // people a real import would create are seen by the conflict check.
        store.rehearse(write)
    } else {
        store.write(write)
    }
}

fn student_name(summary: &str) -> String {
    let trimmed: String = summary
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if trimmed.is_empty() {
        "Imported student".to_owned()
    } else {
        trimmed
    }
}

fn teacher_for(tx: &rusqlite::Transaction<'_>, name: &str, now: DateTime<Utc>) -> Result<i64, StoreError> {
    if let Some(existing) = Teacher::list(tx)?.into_iter().find(|t| t.name == name) {
        return Ok(existing.id);
    }
    let parsed = PersonName::parse(name).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(Teacher::insert(tx, &parsed, now)?.id)
}

fn student_for(tx: &rusqlite::Transaction<'_>, name: &str, now: DateTime<Utc>) -> Result<i64, StoreError> {
    if let Some(existing) = Student::list(tx)?.into_iter().find(|s| s.name == name) {
        return Ok(existing.id);
    }
    // Unique per student: billing keys customers by email, so two imported
    // students must never share one.
    let mut bytes = [0_u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let parsed = PersonName::parse(name).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let email = Email::parse(&format!("imported-{suffix}@example.invalid"))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(Student::insert(tx, &parsed, &email, now)?.id)
}
