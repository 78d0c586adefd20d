//! Checks and inserts one booking row of an import.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use melody_domain::booking::InvalidDuration;
use melody_domain::{parse_start, LessonWindow, ResourceAllowlist, ResourceId, StudioZone, TimeError};
use rusqlite::{params, Connection, Transaction};

use super::{
    Column, CsvImportedRow, CsvRowConflict, CsvRowError, ImportRequest, RawRow, RowOutcome, MAX_NOTES_CHARS,
};
use crate::bookings::{Booking, ConflictOn, NewBooking};
use crate::error::{ResultExt, StoreError};
use crate::resources::Resource;

/// Reads a booking start like the booking API, also accepting a space in
/// place of the `T` (`2027-01-04 17:00`), as spreadsheets write it.
fn parse_start_cell(raw: &str, zone: StudioZone) -> Result<DateTime<Utc>, TimeError> {
    let normalized = match raw.as_bytes().get(10) {
        Some(b' ') if raw.is_char_boundary(10) && raw.is_char_boundary(11) => {
            format!("{}T{}", &raw[..10], &raw[11..])
        }
        _ => raw.to_owned(),
    };
    parse_start(&normalized, zone).map_err(|error| with_value(error, raw))
}

/// Replaces the value in `error` with the cell as the file has it.
fn with_value(error: TimeError, raw: &str) -> TimeError {
    let value = raw.to_owned();
    match error {
        TimeError::Malformed { .. } => TimeError::Malformed { value },
        TimeError::OutOfRange { .. } => TimeError::OutOfRange { value },
        TimeError::Nonexistent { zone, .. } => TimeError::Nonexistent { value, zone },
        TimeError::Ambiguous {
            zone, earlier, later, ..
        } => TimeError::Ambiguous {
            value,
            zone,
            earlier,
            later,
        },
    }
}

fn start_code(error: &TimeError) -> &'static str {
    match error {
        TimeError::Malformed { .. } | TimeError::OutOfRange { .. } => "start_invalid",
        TimeError::Nonexistent { .. } => "start_nonexistent",
        TimeError::Ambiguous { .. } => "start_ambiguous",
    }
}

fn parse_duration(raw: &str) -> Result<i64, String> {
    let minutes = raw.parse::<i64>().map_err(|_| {
        format!(
            "duration_min {raw:?} is invalid: use a whole number of minutes from 1 to {}",
            melody_domain::MAX_DURATION_MIN
        )
    })?;
    let in_range = u32::try_from(minutes).is_ok_and(|m| (1..=melody_domain::MAX_DURATION_MIN).contains(&m));
    if in_range {
        Ok(minutes)
    } else {
        Err(InvalidDuration { value: minutes }.to_string())
    }
}

/// Parses the resource cell (`primary` when empty), applies the allowlist
/// and checks that the resource exists.
fn resolve_resource(
    conn: &Connection,
    row: &RawRow,
    allowlist: &ResourceAllowlist,
) -> Result<Result<ResourceId, CsvRowError>, StoreError> {
    let raw = row.get(Column::ResourceId);
    let error = |code, message: String| {
        Ok(Err(CsvRowError::cell(
            row.line,
            Column::ResourceId,
            raw,
            code,
            message,
        )))
    };
    let id = if raw.is_empty() {
        ResourceId::primary()
    } else {
        match ResourceId::parse(raw) {
            Ok(id) => id,
            Err(e) => return error("resource_id_malformed", e.to_string()),
        }
    };
    if !allowlist.permits(&id) {
        let allowed: Vec<&str> = allowlist.ids().iter().map(ResourceId::as_str).collect();
        return error(
            "resource_id_invalid",
            format!(
                "resource_id {:?} is not allowed here: use one of {}",
                id.as_str(),
                allowed.join(", ")
            ),
        );
    }
    if Resource::find(conn, &id)?.is_none() {
        return error(
            "resource_not_found",
            format!(
                "resource {:?} not found: check the id, or create the resource first",
                id.as_str()
            ),
        );
    }
    Ok(Ok(id))
}

/// Ids whose `column` equals `value`, at most three; `email` matches
/// case-insensitively, as mail addresses are in practice.
fn ids_matching(conn: &Connection, sql: &'static str, value: &str) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn
        .prepare_cached(sql)
        .op("look up a party of an imported booking")?;
    let rows = stmt
        .query_map(params![value], |row| row.get(0))
        .op("look up a party of an imported booking")?;
    rows.collect::<rusqlite::Result<_>>()
        .op("look up a party of an imported booking")
}

fn is_id(raw: &str) -> bool {
    !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit())
}

fn ambiguity(ids: &[i64]) -> String {
    let shown: Vec<String> = ids.iter().take(2).map(i64::to_string).collect();
    let more = if ids.len() > 2 { " and others" } else { "" };
    format!("{}{more}", shown.join(" and "))
}

/// Finds the teacher by id (all digits) or by exact name.
fn resolve_teacher(conn: &Connection, row: &RawRow) -> Result<Result<i64, CsvRowError>, StoreError> {
    let raw = row.get(Column::Teacher);
    let error = |code, message: String| {
        Ok(Err(CsvRowError::cell(
            row.line,
            Column::Teacher,
            raw,
            code,
            message,
        )))
    };
    let ids = if is_id(raw) {
        ids_matching(
            conn,
            "SELECT id FROM teachers WHERE id = CAST(?1 AS INTEGER) LIMIT 3",
            raw,
        )?
    } else {
        ids_matching(
            conn,
            "SELECT id FROM teachers WHERE name = ?1 ORDER BY id LIMIT 3",
            raw,
        )?
    };
    match ids.as_slice() {
        [id] => Ok(Ok(*id)),
        [] if is_id(raw) => error(
            "teacher_not_found",
            format!("teacher {raw} not found: check the id, or import the teachers first"),
        ),
        [] => error(
            "teacher_not_found",
            format!(
                "teacher {raw:?} not found: write a teacher id or the exact name of an existing teacher, \
                 or import the teachers first"
            ),
        ),
        many => error(
            "teacher_ambiguous",
            format!(
                "teacher name {raw:?} belongs to teachers {}: write the teacher id instead",
                ambiguity(many)
            ),
        ),
    }
}

/// Finds the student by id (all digits) or by email.
fn resolve_student(conn: &Connection, row: &RawRow) -> Result<Result<i64, CsvRowError>, StoreError> {
    let raw = row.get(Column::Student);
    let error = |code, message: String| {
        Ok(Err(CsvRowError::cell(
            row.line,
            Column::Student,
            raw,
            code,
            message,
        )))
    };
    let ids = if is_id(raw) {
        ids_matching(
            conn,
            "SELECT id FROM students WHERE id = CAST(?1 AS INTEGER) LIMIT 3",
            raw,
        )?
    } else if raw.contains('@') {
        ids_matching(
            conn,
            "SELECT id FROM students WHERE email = ?1 COLLATE NOCASE ORDER BY id LIMIT 3",
            raw,
        )?
    } else {
        return error(
            "student_not_found",
            format!("student {raw:?} is neither a student id nor an email: write one of them"),
        );
    };
    match ids.as_slice() {
        [id] => Ok(Ok(*id)),
        [] if is_id(raw) => error(
            "student_not_found",
            format!("student {raw} not found: check the id, or import the students first"),
        ),
        [] => error(
            "student_not_found",
            format!("no student has the email {raw:?}: check it, or import the students first"),
        ),
        many => error(
            "student_ambiguous",
            format!(
                "email {raw:?} belongs to students {} (siblings share a contact email): write the student id instead",
                ambiguity(many)
            ),
        ),
    }
}

pub(super) fn import_booking(
    tx: &Transaction<'_>,
    row: &RawRow,
    request: &ImportRequest<'_>,
    lines_by_booking: &HashMap<i64, u64>,
) -> RowOutcome {
    let mut errors = Vec::new();
    let resource = resolve_resource(tx, row, request.allowlist)?
        .map_err(|e| errors.push(e))
        .ok();
    let teacher_id = resolve_teacher(tx, row)?.map_err(|e| errors.push(e)).ok();
    let student_id = resolve_student(tx, row)?.map_err(|e| errors.push(e)).ok();

    let raw_start = row.get(Column::Start);
    let start = parse_start_cell(raw_start, request.zone)
        .map_err(|e| {
            errors.push(CsvRowError::cell(
                row.line,
                Column::Start,
                raw_start,
                start_code(&e),
                e.to_string(),
            ));
        })
        .ok();
    let raw_duration = row.get(Column::DurationMin);
    let duration = parse_duration(raw_duration)
        .map_err(|message| {
            errors.push(CsvRowError::cell(
                row.line,
                Column::DurationMin,
                raw_duration,
                "duration_invalid",
                message,
            ));
        })
        .ok();

    let raw_notes = row.get(Column::Notes);
    let chars = raw_notes.chars().count();
    if chars > MAX_NOTES_CHARS {
        errors.push(CsvRowError::cell(
            row.line,
            Column::Notes,
            raw_notes,
            "notes_too_long",
            format!("notes have {chars} characters: shorten them to at most {MAX_NOTES_CHARS}"),
        ));
    }
    let notes = (!raw_notes.is_empty()).then(|| raw_notes.to_owned());

    let (Some(resource), Some(teacher_id), Some(student_id), Some(start), Some(duration)) =
        (resource, teacher_id, student_id, start, duration)
    else {
        return Ok(Err(errors));
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let window = LessonWindow::new(start, duration).expect("parse_duration checked the range");

    let new = NewBooking {
        resource,
        teacher_id,
        student_id,
        window,
        notes,
        created_by: request.actor.to_owned(),
    };
    let booking = match new.insert(tx, request.now) {
        Ok(booking) => booking,
        Err(StoreError::Conflict { conflicts }) => {
            let conflicts: Vec<CsvRowConflict> = conflicts
                .into_iter()
                .map(|conflict| row_conflict(&conflict.booking, conflict.on, request.zone, lines_by_booking))
                .collect();
            return Ok(Err(vec![conflict_error(row, raw_start, conflicts)]));
        }
        Err(other) => return Err(other),
    };
    Ok(Ok(imported_booking(row.line, booking, request.zone)))
}

fn row_conflict(
    booking: &Booking,
    on: Vec<ConflictOn>,
    zone: StudioZone,
    lines_by_booking: &HashMap<i64, u64>,
) -> CsvRowConflict {
    let line = lines_by_booking.get(&booking.id).copied();
    CsvRowConflict {
        booking_id: if line.is_some() { None } else { Some(booking.id) },
        line,
        start_local: zone.to_local_rfc3339(booking.start),
        end_local: zone.to_local_rfc3339(booking.end()),
        on,
    }
}

fn conflict_error(row: &RawRow, raw_start: &str, conflicts: Vec<CsvRowConflict>) -> CsvRowError {
    let parts: Vec<String> = conflicts
        .iter()
        .map(|c| {
            let on: Vec<&str> = c.on.iter().map(|o| o.as_str()).collect();
            let what = match (c.line, c.booking_id) {
                (Some(line), _) => format!("the booking on line {line} of this file"),
                (None, Some(id)) => format!("booking {id}"),
                (None, None) => "a booking".to_owned(),
            };
            format!(
                "{what} ({} to {}, same {})",
                c.start_local,
                c.end_local,
                on.join(" and ")
            )
        })
        .collect();
    let mut error = CsvRowError::cell(
        row.line,
        Column::Start,
        raw_start,
        "booking_conflict",
        format!(
            "the lesson overlaps {}: pick another time, resource, teacher or student",
            parts.join("; ")
        ),
    );
    error.conflicts = conflicts;
    error
}

fn imported_booking(line: u64, booking: Booking, zone: StudioZone) -> CsvImportedRow {
    let mut imported = CsvImportedRow::new(line, "booking");
    imported.id = Some(booking.id);
    imported.resource_id = Some(booking.effective_resource().to_owned());
    imported.teacher_id = Some(booking.teacher_id);
    imported.student_id = Some(booking.student_id);
    imported.start_local = Some(zone.to_local_rfc3339(booking.start));
    imported.start = Some(booking.start);
    imported.duration_min = Some(booking.duration_min);
    imported.notes = booking.notes;
    imported
}

#[cfg(test)]
mod tests {
    use chrono::SecondsFormat;

    use super::*;

    fn new_york() -> StudioZone {
        "America/New_York".parse().unwrap()
    }

    #[test]
    fn start_cell_accepts_space_separator() {
        let instant = parse_start_cell("2027-01-04 17:00", new_york()).unwrap();
        assert_eq!(
            instant.to_rfc3339_opts(SecondsFormat::Secs, true),
            "2027-01-04T22:00:00Z"
        );
    }

    #[test]
    fn start_cell_gap_names_file_value() {
        let error = parse_start_cell("2027-03-14 02:30", new_york()).unwrap_err();
        assert!(matches!(&error, TimeError::Nonexistent { value, .. } if value == "2027-03-14 02:30"));
    }

    #[test]
    fn duration_cell_bounds() {
        assert_eq!(parse_duration("45"), Ok(45));
        for bad in ["0", "-5", "721", "4.5", "", " 45"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
