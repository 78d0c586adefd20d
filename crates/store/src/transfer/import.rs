//! CSV import of students, teachers and bookings.
//!
//! The file is read whole, every row is checked by the rules of the booking
//! API, and all rows are written in one `BEGIN IMMEDIATE` transaction. Any
//! error rolls the transaction back, so a file is imported whole or not at
//! all; a dry run always rolls back. Booking rows are inserted one by one
//! inside the transaction, so the conflict rule also checks them against
//! the earlier rows of the same file.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use melody_domain::{Email, PersonName, ResourceAllowlist, StudioZone};
use rusqlite::Transaction;
use serde::Serialize;

use super::cells::restore;
use crate::bookings::ConflictOn;
use crate::error::StoreError;
use crate::people::{Student, Teacher};
use crate::Store;

mod booking_rows;

use booking_rows::import_booking;

/// Longest accepted booking `notes`, in characters: the booking API's limit.
pub const MAX_NOTES_CHARS: usize = 50_000;

/// Kind of records an import file contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Students,
    Teachers,
    Bookings,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("import kind {value:?} is unknown: use students, teachers or bookings")]
pub struct UnknownImportKind {
    pub value: String,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Students => "students",
            Self::Teachers => "teachers",
            Self::Bookings => "bookings",
        }
    }

    fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Self::Students => STUDENT_COLUMNS,
            Self::Teachers => TEACHER_COLUMNS,
            Self::Bookings => BOOKING_COLUMNS,
        }
    }
}

const STUDENT_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::required(Column::Name),
    ColumnSpec::required(Column::Email),
];
const TEACHER_COLUMNS: &[ColumnSpec] = &[ColumnSpec::required(Column::Name)];
const BOOKING_COLUMNS: &[ColumnSpec] = &[
    ColumnSpec::optional(Column::ResourceId),
    ColumnSpec::required(Column::Teacher),
    ColumnSpec::required(Column::Student),
    ColumnSpec::required(Column::Start),
    ColumnSpec::required(Column::DurationMin),
    ColumnSpec::optional(Column::Notes),
];

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportKind {
    type Err = UnknownImportKind;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "students" => Ok(Self::Students),
            "teachers" => Ok(Self::Teachers),
            "bookings" => Ok(Self::Bookings),
            _ => Err(UnknownImportKind {
                value: value.to_owned(),
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Name,
    Email,
    ResourceId,
    Teacher,
    Student,
    Start,
    DurationMin,
    Notes,
}

impl Column {
    fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::ResourceId => "resource_id",
            Self::Teacher => "teacher",
            Self::Student => "student",
            Self::Start => "start",
            Self::DurationMin => "duration_min",
            Self::Notes => "notes",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct ColumnSpec {
    column: Column,
    required: bool,
}

impl ColumnSpec {
    const fn required(column: Column) -> Self {
        Self {
            column,
            required: true,
        }
    }

    const fn optional(column: Column) -> Self {
        Self {
            column,
            required: false,
        }
    }
}

/// An import: the file's kind and the booking rules to check it by.
#[derive(Debug, Clone)]
pub struct ImportRequest<'a> {
    pub kind: ImportKind,
    /// Zone of starts written without an offset.
    pub zone: StudioZone,
    pub allowlist: &'a ResourceAllowlist,
    /// Staff member recorded as `created_by` and in the audit log of bookings.
    pub actor: &'a str,
    /// Check every row and report what would be created, then roll back.
    pub dry_run: bool,
    pub now: DateTime<Utc>,
}

/// Rows created by kind. In a dry run, the rows that would be created; when
/// the file has errors, all zero because nothing was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsvCreatedCounts {
    pub students: u64,
    pub teachers: u64,
    pub bookings: u64,
}

/// A row that passed every check, and what it creates. Fields that do not
/// apply to the row's kind are left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsvImportedRow {
    /// Line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// `student`, `teacher` or `booking`.
    pub kind: &'static str,
    /// Id of the created record; `null` in a dry run or when the file has
    /// errors, because then nothing was written.
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teacher_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub student_id: Option<i64>,
    /// Start instant, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<DateTime<Utc>>,
    /// Start in the studio zone, RFC 3339 with the offset in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_local: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl CsvImportedRow {
    fn new(line: u64, kind: &'static str) -> Self {
        Self {
            line,
            kind,
            id: None,
            name: None,
            email: None,
            resource_id: None,
            teacher_id: None,
            student_id: None,
            start: None,
            start_local: None,
            duration_min: None,
            notes: None,
        }
    }
}

/// A confirmed booking, stored or from an earlier row of the same file, that
/// a booking row overlaps.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsvRowConflict {
    /// The stored booking's id; `null` when the overlap is with a row of the
    /// same file.
    pub booking_id: Option<i64>,
    /// The line of the overlapping row of the same file, if it is one.
    pub line: Option<u64>,
    /// Start and end in the studio zone, RFC 3339 with the offset in force.
    pub start_local: String,
    pub end_local: String,
    /// Parties both lessons share: `resource`, `teacher`, `student`.
    pub on: Vec<ConflictOn>,
}

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsvRowError {
    /// Line where the row starts (the header is line 1).
    pub line: u64,
    /// Header name of the cell at fault; `null` for a whole row or file.
    pub column: Option<String>,
    /// The cell as read, after the `'` of an exported formula-like cell is
    /// removed; `null` for a whole row or file.
    pub value: Option<String>,
    /// Stable code, the same as the booking API's for the same rule, such as
    /// `email_invalid`, `start_nonexistent` or `booking_conflict`.
    pub error: &'static str,
    /// The problem and its fix.
    pub message: String,
    /// With `booking_conflict`: every booking the row overlaps.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<CsvRowConflict>,
}

impl CsvRowError {
    fn file(line: u64, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            line,
            column: None,
            value: None,
            error,
            message: message.into(),
            conflicts: Vec::new(),
        }
    }

    fn cell(line: u64, column: Column, value: &str, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            line,
            column: Some(column.as_str().to_owned()),
            value: Some(value.to_owned()),
            error,
            message: message.into(),
            conflicts: Vec::new(),
        }
    }

    fn header(column: &str, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            line: 1,
            column: Some(column.to_owned()),
            value: Some(column.to_owned()),
            error,
            message: message.into(),
            conflicts: Vec::new(),
        }
    }
}

/// The outcome of an import or a dry run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CsvImportReport {
    pub dry_run: bool,
    pub created: CsvCreatedCounts,
    /// Every row that passed its checks, in file order.
    pub rows: Vec<CsvImportedRow>,
    /// Every problem found, by line; when not empty, nothing was written.
    pub errors: Vec<CsvRowError>,
}

impl CsvImportReport {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A data row: its first line and its cells by column.
struct RawRow {
    line: u64,
    cells: HashMap<Column, String>,
}

impl RawRow {
    fn get(&self, column: Column) -> &str {
        self.cells.get(&column).map_or("", String::as_str)
    }
}

/// The rows of a file that could be read, and the problems found so far.
struct ParsedFile {
    rows: Vec<RawRow>,
    errors: Vec<CsvRowError>,
    /// Whether the header lets rows be checked at all.
    header_usable: bool,
}

/// Imports `input` as `request.kind`, or only checks it for a dry run.
///
/// A file with errors writes nothing and returns `Ok` with the errors in the
/// report; callers check [`CsvImportReport::is_valid`].
///
/// # Errors
/// `StoreError` when the database fails; nothing is written then either.
pub fn import_csv(
    store: &Store,
    input: &[u8],
    request: &ImportRequest<'_>,
) -> Result<CsvImportReport, StoreError> {
    let parsed = parse_file(input, request.kind);
    let empty_report = |errors| CsvImportReport {
        dry_run: request.dry_run,
        created: CsvCreatedCounts::default(),
        rows: Vec::new(),
        errors,
    };
    if !parsed.header_usable {
        return Ok(empty_report(parsed.errors));
    }

    let outcome = store.write(|tx| {
        let report = apply_rows(tx, parsed, request)?;
        if report.is_valid() && !request.dry_run {
            Ok(report)
        } else {
            Err(Abort::RollBack(report))
        }
    });
    match outcome {
        Ok(report) | Err(Abort::RollBack(report)) => Ok(report),
        Err(Abort::Store(error)) => Err(error),
    }
}

/// Reason the import transaction rolls back.
enum Abort {
    /// A dry run, or a file with errors: the report goes back to the caller.
    RollBack(CsvImportReport),
    Store(StoreError),
}

impl From<StoreError> for Abort {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Maps byte offsets of the input to line numbers, counting from 1. Offsets
/// must come in increasing order, so the whole file is scanned once.
struct LineCounter<'a> {
    input: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.input.len());
        let newlines = self.input[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += u64::try_from(newlines).unwrap_or(u64::MAX);
        self.offset = offset;
        self.line
    }

    /// Line where the record at `offset` starts. The csv crate's own line
    /// count is one short after CRLF line ends (csv 1.4), and a record's
    /// offset can point at the line end before it, so skip line ends first.
    fn record_line(&mut self, offset: usize) -> u64 {
        let start = self.input[offset.min(self.input.len())..]
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .map_or(self.input.len(), |skipped| offset + skipped);
        self.line_at(start)
    }
}

fn parse_file(input: &[u8], kind: ImportKind) -> ParsedFile {
    let unusable = |error| ParsedFile {
        rows: Vec::new(),
        errors: vec![error],
        header_usable: false,
    };
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    if let Err(error) = std::str::from_utf8(input) {
        let line = LineCounter::new(input).line_at(error.valid_up_to());
        return unusable(CsvRowError::file(
            line,
            "encoding_invalid",
            format!("line {line} is not valid UTF-8: save the file as \"CSV UTF-8\" and import it again"),
        ));
    }

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut records = reader.records();
    let header = match records.next() {
        None => {
            return unusable(CsvRowError::file(
                1,
                "file_empty",
                format!(
                    "the file is empty: start it with a header row such as {}",
                    header_example(kind)
                ),
            ))
        }
        Some(Err(error)) => return unusable(csv_error(&error)),
        Some(Ok(header)) => header,
    };

    let (columns, mut errors) = match_header(&header, kind);
    let header_usable = errors.iter().all(|e| e.error == "column_unknown");
    if !header_usable {
        return ParsedFile {
            rows: Vec::new(),
            errors,
            header_usable,
        };
    }

    let mut lines = LineCounter::new(input);
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                errors.push(csv_error(&error));
                break;
            }
        };
        let offset = record.position().map_or(0, |position| {
            usize::try_from(position.byte()).unwrap_or(usize::MAX)
        });
        let line = lines.record_line(offset);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != columns.len() {
            errors.push(CsvRowError::file(
                line,
                "row_length_invalid",
                format!(
                    "the row has {} cells but the header has {}: give every row one cell per column, \
                     leaving unused cells empty",
                    record.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        let cells = columns
            .iter()
            .zip(record.iter())
            .filter_map(|(column, cell)| column.map(|column| (column, restore(cell).to_owned())))
            .collect();
        rows.push(RawRow { line, cells });
    }
    ParsedFile {
        rows,
        errors,
        header_usable,
    }
}

fn header_example(kind: ImportKind) -> String {
    let names: Vec<&str> = kind.columns().iter().map(|spec| spec.column.as_str()).collect();
    names.join(",")
}

fn csv_error(error: &csv::Error) -> CsvRowError {
    let line = error.position().map_or(1, csv::Position::line);
    CsvRowError::file(
        line,
        "csv_malformed",
        format!("the file cannot be read as CSV at line {line} ({error}): check the quotes on that line"),
    )
}

/// Maps each header cell to its column, matching names case-insensitively.
/// Unknown columns are reported and their cells ignored, so that the rows
/// are still checked; a missing or repeated column makes the rows unusable.
fn match_header(header: &csv::StringRecord, kind: ImportKind) -> (Vec<Option<Column>>, Vec<CsvRowError>) {
    let specs = kind.columns();
    let expected = header_example(kind);
    let mut errors = Vec::new();
    let mut columns = Vec::with_capacity(header.len());
    for name in header.iter() {
        let spec = specs
            .iter()
            .find(|spec| spec.column.as_str().eq_ignore_ascii_case(name.trim()));
        match spec {
            Some(spec) if columns.contains(&Some(spec.column)) => {
                errors.push(CsvRowError::header(
                    name,
                    "column_duplicate",
                    format!("column {name:?} appears twice in the header: keep one"),
                ));
                columns.push(None);
            }
            Some(spec) => columns.push(Some(spec.column)),
            None => {
                errors.push(CsvRowError::header(
                    name,
                    "column_unknown",
                    format!(
                        "column {name:?} is not a {kind} column: remove it, or rename it to one of {expected}"
                    ),
                ));
                columns.push(None);
            }
        }
    }
    for spec in specs.iter().filter(|spec| spec.required) {
        if !columns.contains(&Some(spec.column)) {
            let name = spec.column.as_str();
            errors.push(CsvRowError {
                line: 1,
                column: Some(name.to_owned()),
                value: None,
                error: "column_missing",
                message: format!(
                    "the header has no {name:?} column: add it (the {kind} columns are {expected})"
                ),
                conflicts: Vec::new(),
            });
        }
    }
    (columns, errors)
}

/// Checks and writes every row; rows with errors are skipped and reported.
fn apply_rows(
    tx: &Transaction<'_>,
    parsed: ParsedFile,
    request: &ImportRequest<'_>,
) -> Result<CsvImportReport, StoreError> {
    let mut report = CsvImportReport {
        dry_run: request.dry_run,
        created: CsvCreatedCounts::default(),
        rows: Vec::new(),
        errors: parsed.errors,
    };
    // Bookings created by this file, to name their line in a conflict.
    let mut lines_by_booking: HashMap<i64, u64> = HashMap::new();
    for row in &parsed.rows {
        let outcome = match request.kind {
            ImportKind::Students => import_student(tx, row, request.now),
            ImportKind::Teachers => import_teacher(tx, row, request.now),
            ImportKind::Bookings => import_booking(tx, row, request, &lines_by_booking),
        };
        match outcome? {
            Ok(imported) => {
                if imported.kind == "booking" {
                    if let Some(id) = imported.id {
                        lines_by_booking.insert(id, imported.line);
                    }
                }
                report.rows.push(imported);
            }
            Err(row_errors) => report.errors.extend(row_errors),
        }
    }

    report.errors.sort_by_key(|error| error.line);
    let wrote = report.is_valid() && !request.dry_run;
    for row in &mut report.rows {
        match row.kind {
            "student" => report.created.students += 1,
            "teacher" => report.created.teachers += 1,
            _ => report.created.bookings += 1,
        }
        if !wrote {
            row.id = None;
        }
    }
    if !report.is_valid() {
        report.created = CsvCreatedCounts::default();
    }
    Ok(report)
}

/// A row's outcome: what it created, or its errors. The outer `Result`
/// carries database failures, which abort the whole import.
type RowOutcome = Result<Result<CsvImportedRow, Vec<CsvRowError>>, StoreError>;

fn parse_name(row: &RawRow, errors: &mut Vec<CsvRowError>) -> Option<PersonName> {
    let raw = row.get(Column::Name);
    PersonName::parse(raw)
        .map_err(|e| {
            errors.push(CsvRowError::cell(
                row.line,
                Column::Name,
                raw,
                "name_invalid",
                e.to_string(),
            ))
        })
        .ok()
}

fn import_student(tx: &Transaction<'_>, row: &RawRow, now: DateTime<Utc>) -> RowOutcome {
    let mut errors = Vec::new();
    let name = parse_name(row, &mut errors);
    let raw_email = row.get(Column::Email);
    let email = Email::parse(raw_email)
        .map_err(|e| {
            errors.push(CsvRowError::cell(
                row.line,
                Column::Email,
                raw_email,
                "email_invalid",
                e.to_string(),
            ));
        })
        .ok();
    let (Some(name), Some(email)) = (name, email) else {
        return Ok(Err(errors));
    };

    let student = Student::insert(tx, &name, &email, now)?;
    let mut imported = CsvImportedRow::new(row.line, "student");
    imported.id = Some(student.id);
    imported.name = Some(student.name);
    imported.email = Some(student.email);
    Ok(Ok(imported))
}

fn import_teacher(tx: &Transaction<'_>, row: &RawRow, now: DateTime<Utc>) -> RowOutcome {
    let mut errors = Vec::new();
    let Some(name) = parse_name(row, &mut errors) else {
        return Ok(Err(errors));
    };

    let teacher = Teacher::insert(tx, &name, now)?;
    let mut imported = CsvImportedRow::new(row.line, "teacher");
    imported.id = Some(teacher.id);
    imported.name = Some(teacher.name);
    Ok(Ok(imported))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matches_case_insensitively() {
        let header = csv::StringRecord::from(vec!["NAME", "Email"]);
        let (columns, errors) = match_header(&header, ImportKind::Students);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(columns, vec![Some(Column::Name), Some(Column::Email)]);
    }

    #[test]
    fn header_reports_unknown_and_missing() {
        let header = csv::StringRecord::from(vec!["name", "phone"]);
        let (_, errors) = match_header(&header, ImportKind::Students);
        let codes: Vec<&str> = errors.iter().map(|e| e.error).collect();
        assert_eq!(codes, ["column_unknown", "column_missing"]);
    }

    #[test]
    fn rows_carry_their_first_line() {
        for file in [
            "teacher,student,start,duration_min\na,b,c,d\ne,\"f\ng\",h,i\nj,k,l,m\n",
            "\u{feff}teacher,student,start,duration_min\r\na,b,c,d\r\ne,\"f\r\ng\",h,i\r\nj,k,l,m\r\n",
        ] {
            let parsed = parse_file(file.as_bytes(), ImportKind::Bookings);
            let lines: Vec<u64> = parsed.rows.iter().map(|row| row.line).collect();
            assert_eq!(lines, [2, 3, 5], "{file:?}");
        }
    }
}
