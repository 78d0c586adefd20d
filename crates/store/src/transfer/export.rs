//! CSV export of bookings and of the audit log.

use chrono::{DateTime, SecondsFormat, Utc};
use melody_domain::StudioZone;
use rusqlite::{params, Connection, Row};

use super::cells::neutralize;
use crate::error::{ResultExt, StoreError};
use crate::timestamp;

/// Columns of the bookings export, in order.
pub const BOOKING_COLUMNS: [&str; 15] = [
    "id",
    "resource_id",
    "teacher_id",
    "teacher_name",
    "student_id",
    "student_name",
    "student_email",
    "start_utc",
    "start_local",
    "duration_min",
    "status",
    "penalty_reason",
    "notes",
    "created_by",
    "created_at",
];

/// Columns of the audit log export, in order.
pub const AUDIT_COLUMNS: [&str; 7] = ["id", "at", "booking_id", "actor", "action", "before", "after"];

const UTF8_BOM: &[u8] = "\u{feff}".as_bytes();

/// A half-open range `[from, to)` of instants; a missing end is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl ExportRange {
    fn bounds(self) -> (i64, i64) {
        (
            self.from.map_or(i64::MIN, |from| from.timestamp()),
            self.to.map_or(i64::MAX, |to| to.timestamp()),
        )
    }
}

/// One output cell: text goes through the formula rule, numbers do not.
enum Cell {
    Text(String),
    Number(i64),
    Empty,
}

impl Cell {
    fn text(value: impl Into<String>) -> Self {
        Self::Text(value.into())
    }

    fn optional_text(value: Option<String>) -> Self {
        value.map_or(Self::Empty, Self::Text)
    }

    fn instant(value: DateTime<Utc>) -> Self {
        Self::Text(value.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    fn render(&self) -> String {
        match self {
            Self::Text(text) => neutralize(text).into_owned(),
            Self::Number(number) => number.to_string(),
            Self::Empty => String::new(),
        }
    }
}

/// Writes the byte order mark, the header and the rows with CRLF line ends.
fn write_csv(header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(UTF8_BOM.to_vec());
    // Writing to a Vec cannot fail, so neither can the csv writer.
    writer.write_record(header).expect("write to memory");
    for row in rows {
        writer
            .write_record(row.iter().map(Cell::render))
            .expect("write to memory");
    }
    writer.into_inner().expect("flush to memory")
}

fn booking_row(row: &Row<'_>, zone: StudioZone) -> rusqlite::Result<Vec<Cell>> {
    let start = timestamp::read(row, 7)?;
    let resource_id: Option<String> = row.get(1)?;
    Ok(vec![
        Cell::Number(row.get(0)?),
        // Bookings from before multi-resource scheduling count as `primary`.
        Cell::text(resource_id.unwrap_or_else(|| melody_domain::ids::PRIMARY_RESOURCE.to_owned())),
        Cell::Number(row.get(2)?),
        Cell::Text(row.get(3)?),
        Cell::Number(row.get(4)?),
        Cell::Text(row.get(5)?),
        Cell::Text(row.get(6)?),
        Cell::instant(start),
        Cell::text(zone.to_local_rfc3339(start)),
        Cell::Number(row.get(8)?),
        Cell::Text(row.get(9)?),
        Cell::optional_text(row.get(10)?),
        Cell::optional_text(row.get(11)?),
        Cell::Text(row.get(12)?),
        Cell::instant(timestamp::read(row, 13)?),
    ])
}

/// Bookings of any status starting in `range`, ordered by start, as CSV with
/// [`BOOKING_COLUMNS`]. `start_local` is in `zone`.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn export_bookings_csv(
    conn: &Connection,
    range: ExportRange,
    zone: StudioZone,
) -> Result<Vec<u8>, StoreError> {
    let (from, to) = range.bounds();
    let mut stmt = conn
        .prepare(
            "SELECT b.id, b.resource_id, b.teacher_id, t.name, b.student_id, s.name, s.email, \
                    b.start_at, b.duration_min, b.status, b.penalty_reason, b.notes, b.created_by, \
                    b.created_at \
             FROM bookings b \
             JOIN teachers t ON t.id = b.teacher_id \
             JOIN students s ON s.id = b.student_id \
             WHERE b.start_at >= ?1 AND b.start_at < ?2 \
             ORDER BY b.start_at, b.id",
        )
        .op("export bookings")?;
    let rows = stmt
        .query_map(params![from, to], |row| booking_row(row, zone))
        .op("export bookings")?;
    let rows: Vec<Vec<Cell>> = rows.collect::<rusqlite::Result<_>>().op("export bookings")?;
    Ok(write_csv(&BOOKING_COLUMNS, &rows))
}

fn audit_row(row: &Row<'_>) -> rusqlite::Result<Vec<Cell>> {
    let booking_id: Option<i64> = row.get(2)?;
    Ok(vec![
        Cell::Number(row.get(0)?),
        Cell::instant(timestamp::read(row, 1)?),
        booking_id.map_or(Cell::Empty, Cell::Number),
        Cell::Text(row.get(3)?),
        Cell::Text(row.get(4)?),
        Cell::optional_text(row.get(5)?),
        Cell::optional_text(row.get(6)?),
    ])
}

/// Audit entries recorded in `range`, oldest first, as CSV with
/// [`AUDIT_COLUMNS`]; `before` and `after` are the stored JSON text.
///
/// # Errors
/// `StoreError::Sqlite` when the query fails.
pub fn export_audit_csv(conn: &Connection, range: ExportRange) -> Result<Vec<u8>, StoreError> {
    let (from, to) = range.bounds();
    let mut stmt = conn
        .prepare(
            "SELECT id, at, booking_id, actor, action, before_json, after_json FROM audit_log \
             WHERE at >= ?1 AND at < ?2 ORDER BY id",
        )
        .op("export audit log")?;
    let rows = stmt
        .query_map(params![from, to], audit_row)
        .op("export audit log")?;
    let rows: Vec<Vec<Cell>> = rows.collect::<rusqlite::Result<_>>().op("export audit log")?;
    Ok(write_csv(&AUDIT_COLUMNS, &rows))
}
