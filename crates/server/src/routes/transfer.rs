//! CSV export of bookings and the audit log, and CSV import of students,
//! teachers and bookings. The rules live in `melody_store::transfer`; these
//! handlers add HTTP: query parsing, the body limit and the error shape.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use melody_store::transfer::{self, CsvImportReport, ExportRange, ImportKind, ImportRequest};
use serde::Deserialize;
use utoipa::IntoParams;

use super::bookings::parse_time;
use crate::extract::{Actor, ApiQuery};
use crate::{ApiError, AppState};

/// Largest accepted CSV body: 5 MiB, roughly 50,000 booking rows of 100
/// bytes each (an estimate; long notes make rows larger).
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;

const _: () = assert!(
    transfer::MAX_NOTES_CHARS == super::bookings::MAX_NOTES_CHARS,
    "CSV import and the booking API must accept the same notes"
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// Range start (inclusive), read as a booking `start`; unbounded when
    /// omitted.
    pub from: Option<String>,
    /// Range end (exclusive), read as a booking `start`; unbounded when
    /// omitted.
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// `true` checks the file and reports what it would create, writing
    /// nothing. Default `false`.
    pub dry_run: Option<bool>,
}

fn parse_range(query: &ExportQuery, state: &AppState) -> Result<ExportRange, ApiError> {
    let from = query
        .from
        .as_deref()
        .map(|raw| parse_time(raw, "from", &state.settings))
        .transpose()?;
    let to = query
        .to
        .as_deref()
        .map(|raw| parse_time(raw, "to", &state.settings))
        .transpose()?;
    if let (Some(from), Some(to)) = (from, to) {
        if to <= from {
            return Err(ApiError::invalid(
                "range_invalid",
                "to",
                format!("range {from} to {to} is invalid: `to` must be after `from`"),
            ));
        }
    }
    Ok(ExportRange { from, to })
}

fn csv_response(filename: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Export bookings of any status starting in `[from, to)` as CSV.
///
/// UTF-8 with a byte order mark and CRLF line ends. Columns: id, resource_id,
/// teacher_id, teacher_name, student_id, student_name, student_email,
/// start_utc, start_local (studio zone), duration_min, status,
/// penalty_reason, notes, created_by, created_at. A text cell starting with
/// `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so a
/// spreadsheet shows it as text. Ids and durations are plain numbers.
#[utoipa::path(operation_id = "export_bookings_csv", get, path = "/api/export/bookings.csv", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String, description = "the bookings as CSV, as an attachment"),
              (status = 400, description = "range_invalid or an invalid from/to time")))]
pub(crate) async fn export_bookings(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let range = parse_range(&query, &state)?;
    let zone = state.settings.zone;
    let body = state
        .run(move |store| store.read(|conn| transfer::export_bookings_csv(conn, range, zone)))
        .await?;
    Ok(csv_response("melody-bookings.csv", body))
}

/// Export audit entries recorded in `[from, to)` as CSV.
///
/// Same encoding and formula rule as the bookings export. Columns: id, at,
/// booking_id, actor, action, before, after; `before` and `after` are the
/// booking as JSON text, empty where there is none.
#[utoipa::path(operation_id = "export_audit_csv", get, path = "/api/export/audit.csv", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String, description = "the audit log as CSV, as an attachment"),
              (status = 400, description = "range_invalid or an invalid from/to time")))]
pub(crate) async fn export_audit(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let range = parse_range(&query, &state)?;
    let body = state
        .run(move |store| store.read(|conn| transfer::export_audit_csv(conn, range)))
        .await?;
    Ok(csv_response("melody-audit.csv", body))
}

fn body_error(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "The CSV is larger than {} MiB: split it into several files and import each one.",
                MAX_IMPORT_BYTES / (1024 * 1024)
            ),
        );
    }
    ApiError::new(
        rejection.status(),
        "body_invalid",
        format!(
            "The request body cannot be read ({}): send the CSV file as the body.",
            rejection.body_text()
        ),
    )
}

/// Import students, teachers or bookings from a CSV body.
///
/// `kind` is `students` (columns `name,email`), `teachers` (`name`) or
/// `bookings` (`resource_id,teacher,student,start,duration_min,notes`). In a
/// bookings file, `teacher` is a teacher id or exact name, `student` a
/// student id or email, and `start` RFC 3339 with an offset or a
/// studio-local time such as `2027-01-04 17:00`. `resource_id` and `notes`
/// may be left out. The header row is required and matched
/// case-insensitively. Every row is checked by the booking API's rules. Any
/// error writes nothing and returns 400 `csv_invalid` with every error by
/// line. A cell starting with `'` followed by a formula character, as the
/// exports write it, loses the `'`. At most 5 MiB.
#[utoipa::path(operation_id = "import_csv", post, path = "/api/import/csv/{kind}",
    params(("kind" = String, Path, description = "students, teachers or bookings"), ImportQuery,
           ("X-Melody-Actor" = Option<String>, Header, description = "staff member recorded on imported bookings and in the audit log")),
    request_body(content = String, content_type = "text/csv", description = "the CSV file, UTF-8 with or without a byte order mark"),
    responses((status = 200, body = CsvImportReport, description = "dry run: the file is valid; nothing was written"),
              (status = 201, body = CsvImportReport, description = "every row was imported"),
              (status = 400, body = CsvImportReport, description = "csv_invalid: the report plus `error` and `message`; nothing was written. A conflict error has `error` booking_conflict and `conflicts`"),
              (status = 404, description = "import_kind_not_found"),
              (status = 413, description = "body_too_large: over 5 MiB")))]
pub(crate) async fn import_csv(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(kind): Path<String>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = kind
        .parse::<ImportKind>()
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, "import_kind_not_found", e.to_string()))?;
    let body = body.map_err(|rejection| body_error(&rejection))?;
    let dry_run = query.dry_run.unwrap_or(false);

    let now = state.now();
    let settings = std::sync::Arc::clone(&state.settings);
    let report = state
        .run(move |store| {
            let request = ImportRequest {
                kind,
                zone: settings.zone,
                allowlist: &settings.allowlist,
                actor: &actor,
                dry_run,
                now,
            };
            transfer::import_csv(store, &body, &request)
        })
        .await?;

    if !report.is_valid() {
        tracing::warn!(%kind, errors = report.errors.len(), dry_run, "CSV import rejected");
        return Err(rejected(report));
    }
    tracing::info!(
        %kind,
        students = report.created.students,
        teachers = report.created.teachers,
        bookings = report.created.bookings,
        dry_run,
        "CSV import checked"
    );
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(report)).into_response())
}

/// Builds the 400 for a file with errors: the report's fields beside
/// `error` and `message`.
fn rejected(report: CsvImportReport) -> ApiError {
    let first = &report.errors[0];
    let message = format!(
        "The CSV has {} error(s), the first on line {}: {}. Nothing was written; fix every error listed in `errors` and import the file again.",
        report.errors.len(),
        first.line,
        first.message
    );
    let mut error = ApiError::new(StatusCode::BAD_REQUEST, "csv_invalid", message);
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&report) {
        for (key, value) in fields {
            error = error.with(&key, value);
        }
    }
    error
}
