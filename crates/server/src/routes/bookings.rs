//! Booking lifecycle: create, read, list, cancel, the two-step reschedule and
//! the audit trail.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use melody_domain::{parse_start, LessonWindow, ResourceId, TimeError};
use melody_store::{bookings, reschedules, AuditEntry, Booking, NewBooking, Reschedule};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{parse_id, Actor, ApiJson, ApiQuery};
use crate::views::BookingView;
use crate::{ApiError, AppState, Settings};

/// Longest accepted `notes`, in characters.
pub const MAX_NOTES_CHARS: usize = 50_000;
/// Maximum range, in days, of one list request.
pub const MAX_LIST_DAYS: i64 = 366;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBooking {
    /// Room or instrument; `primary` when omitted.
    #[schema(example = "piano")]
    pub resource_id: Option<String>,
    pub teacher_id: i64,
    pub student_id: i64,
    /// RFC 3339 with an offset, or a studio-local time without one
    /// (`2026-03-02T16:00`), which is rejected inside a daylight-saving gap or
    /// repeat.
    #[schema(example = "2026-03-02T16:00:00-05:00")]
    pub start: String,
    /// Whole minutes, 1 to 720.
    #[schema(example = 45)]
    pub duration_min: i64,
    /// Free text, at most 50,000 characters.
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteReschedule {
    /// The new start, read as `start` of a new booking.
    pub start: String,
    /// The new room or instrument; unchanged when omitted.
    pub resource_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Range start (inclusive), read as a booking `start`.
    pub from: String,
    /// Range end (exclusive); at most 366 days after `from`.
    pub to: String,
    /// Only this room or instrument.
    pub resource_id: Option<String>,
}

/// A reschedule request and, once completed, the moved booking.
#[derive(Debug, Serialize, ToSchema)]
pub struct RescheduleView {
    #[serde(flatten)]
    pub reschedule: Reschedule,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingView>,
}

fn start_error(error: &TimeError, field: &str) -> ApiError {
    let code = match error {
        TimeError::Malformed { .. } | TimeError::OutOfRange { .. } => "start_invalid",
        TimeError::Nonexistent { .. } => "start_nonexistent",
        TimeError::Ambiguous { .. } => "start_ambiguous",
    };
    ApiError::invalid(code, field, error.to_string())
}

pub(crate) fn parse_time(raw: &str, field: &str, settings: &Settings) -> Result<DateTime<Utc>, ApiError> {
    parse_start(raw, settings.zone).map_err(|e| start_error(&e, field))
}

/// Parses a resource id (`primary` when absent) and applies the allowlist.
pub(crate) fn parse_resource(raw: Option<&str>, settings: &Settings) -> Result<ResourceId, ApiError> {
    let id = match raw {
        Some(raw) => ResourceId::parse(raw)
            .map_err(|e| ApiError::invalid("resource_id_malformed", "resource_id", e.to_string()))?,
        None => ResourceId::primary(),
    };
    if settings.allowlist.permits(&id) {
        return Ok(id);
    }
    let allowed: Vec<&str> = settings.allowlist.ids().iter().map(ResourceId::as_str).collect();
    let message = match raw {
        Some(_) => format!(
            "resource_id {:?} is not allowed here: use one of {}",
            id.as_str(),
            allowed.join(", ")
        ),
        None => format!(
            "resource_id is missing and the default \"primary\" is not allowed here: send one of {}",
            allowed.join(", ")
        ),
    };
    tracing::warn!(resource_id = %id, "booking rejected: resource not in the allowlist");
    Err(ApiError::invalid("resource_id_invalid", "resource_id", message).with("allowed", allowed))
}

fn validate_new(body: CreateBooking, actor: String, settings: &Settings) -> Result<NewBooking, ApiError> {
    let resource = parse_resource(body.resource_id.as_deref(), settings)?;
    let start = parse_time(&body.start, "start", settings)?;
    let window = LessonWindow::new(start, body.duration_min)
        .map_err(|e| ApiError::invalid("duration_invalid", "duration_min", e.to_string()))?;
    if let Some(notes) = &body.notes {
        let chars = notes.chars().count();
        if chars > MAX_NOTES_CHARS {
            return Err(ApiError::invalid(
                "notes_too_long",
                "notes",
                format!("notes have {chars} characters: shorten them to at most {MAX_NOTES_CHARS}"),
            ));
        }
    }
    Ok(NewBooking {
        resource,
        teacher_id: body.teacher_id,
        student_id: body.student_id,
        window,
        notes: body.notes,
        created_by: actor,
    })
}

fn created(view: BookingView) -> Response {
    let location = format!("/api/bookings/{}", view.booking.id);
    (StatusCode::CREATED, [(header::LOCATION, location)], Json(view)).into_response()
}

/// Book a lesson.
#[utoipa::path(operation_id = "create_booking", post, path = "/api/bookings", request_body = CreateBooking,
    params(("X-Melody-Actor" = Option<String>, Header, description = "staff member recorded in the audit log")),
    responses((status = 201, body = BookingView),
              (status = 400, description = "invalid field: `field` names it; resource_id_invalid carries `allowed`"),
              (status = 404, description = "resource, teacher or student not found"),
              (status = 409, description = "booking_conflict with `conflicts`")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<CreateBooking>,
) -> Result<Response, ApiError> {
    let new = validate_new(body, actor, &state.settings)?;

    let now = state.now();
    let booking = state
        .run(move |store| store.write(|tx| new.insert(tx, now)))
        .await?;

    tracing::info!(
        booking_id = booking.id,
        resource_id = booking.effective_resource(),
        "booking confirmed"
    );
    Ok(created(BookingView::new(booking, state.settings.zone)))
}

/// Read one booking.
#[utoipa::path(operation_id = "get_booking", get, path = "/api/bookings/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = BookingView), (status = 404, description = "booking_not_found")))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<BookingView>, ApiError> {
    let id = parse_id("booking", "booking_not_found", &raw)?;
    let booking = state
        .run(move |store| store.read(|conn| Booking::get(conn, id)))
        .await?;
    Ok(Json(BookingView::new(booking, state.settings.zone)))
}

/// Bookings of any status overlapping `[from, to)`, ordered by start.
#[utoipa::path(operation_id = "list_bookings", get, path = "/api/bookings", params(ListQuery),
    responses((status = 200, body = Vec<BookingView>), (status = 400, description = "range_invalid or bad time")))]
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<BookingView>>, ApiError> {
    let from = parse_time(&query.from, "from", &state.settings)?;
    let to = parse_time(&query.to, "to", &state.settings)?;
    if to <= from || to - from > Duration::days(MAX_LIST_DAYS) {
        return Err(ApiError::invalid(
            "range_invalid",
            "to",
            format!(
                "range {} to {} is invalid: `to` must be after `from` and at most {MAX_LIST_DAYS} days later",
                query.from, query.to
            ),
        ));
    }
    let resource = query
        .resource_id
        .as_deref()
        .map(|raw| {
            ResourceId::parse(raw)
                .map_err(|e| ApiError::invalid("resource_id_malformed", "resource_id", e.to_string()))
        })
        .transpose()?;

    let bookings = state
        .run(move |store| store.read(|conn| Booking::list(conn, from, to, resource.as_ref())))
        .await?;

    let zone = state.settings.zone;
    Ok(Json(
        bookings.into_iter().map(|b| BookingView::new(b, zone)).collect(),
    ))
}

/// Cancel a booking. Inside the late-cancel window (default 24 hours before
/// the start) it is marked `penalty_reason: late_cancel`.
#[utoipa::path(operation_id = "cancel_booking", post, path = "/api/bookings/{id}/cancel", params(("id" = i64, Path)),
    responses((status = 200, body = BookingView), (status = 404, description = "booking_not_found"),
              (status = 409, description = "booking_not_confirmed")))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(raw): Path<String>,
) -> Result<Json<BookingView>, ApiError> {
    let id = parse_id("booking", "booking_not_found", &raw)?;

    let now = state.now();
    let window = state.settings.late_cancel_window;
    let booking = state
        .run(move |store| store.write(|tx| bookings::cancel(tx, id, &actor, now, window)))
        .await?;

    tracing::info!(
        booking_id = id,
        late = booking.penalty_reason.is_some(),
        "booking cancelled"
    );
    Ok(Json(BookingView::new(booking, state.settings.zone)))
}

/// Initiate a reschedule: records the request time and the lead time.
#[utoipa::path(operation_id = "initiate_reschedule", post, path = "/api/bookings/{id}/reschedule", params(("id" = i64, Path)),
    responses((status = 201, body = RescheduleView), (status = 404, description = "booking_not_found"),
              (status = 409, description = "booking_not_confirmed or reschedule_pending")))]
pub(crate) async fn initiate_reschedule(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(raw): Path<String>,
) -> Result<(StatusCode, Json<RescheduleView>), ApiError> {
    let id = parse_id("booking", "booking_not_found", &raw)?;

    let now = state.now();
    let reschedule = state
        .run(move |store| store.write(|tx| reschedules::initiate(tx, id, &actor, now)))
        .await?;

    tracing::info!(
        booking_id = id,
        reschedule_id = reschedule.id,
        lead_time_hours = reschedule.lead_time_hours,
        "reschedule initiated"
    );
    Ok((
        StatusCode::CREATED,
        Json(RescheduleView {
            reschedule,
            booking: None,
        }),
    ))
}

/// Complete a reschedule: moves the booking to the new slot in one step.
#[utoipa::path(operation_id = "complete_reschedule", post, path = "/api/bookings/{id}/reschedule/complete", params(("id" = i64, Path)),
    request_body = CompleteReschedule,
    responses((status = 200, body = RescheduleView), (status = 400, description = "invalid start or resource_id"),
              (status = 409, description = "booking_conflict, booking_not_confirmed or reschedule_not_initiated")))]
pub(crate) async fn complete_reschedule(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<CompleteReschedule>,
) -> Result<Json<RescheduleView>, ApiError> {
    let id = parse_id("booking", "booking_not_found", &raw)?;
    let start = parse_time(&body.start, "start", &state.settings)?;
    let resource = body
        .resource_id
        .as_deref()
        .map(|raw| parse_resource(Some(raw), &state.settings))
        .transpose()?;

    let now = state.now();
    let (booking, reschedule) = state
        .run(move |store| {
            store.write(|tx| reschedules::complete(tx, id, start, resource.as_ref(), &actor, now))
        })
        .await?;

    tracing::info!(
        booking_id = id,
        reschedule_id = reschedule.id,
        resource_id = booking.effective_resource(),
        "booking rescheduled"
    );
    let booking = Some(BookingView::new(booking, state.settings.zone));
    Ok(Json(RescheduleView { reschedule, booking }))
}

/// Abandon a reschedule; the booking keeps its slot.
#[utoipa::path(operation_id = "abandon_reschedule", post, path = "/api/bookings/{id}/reschedule/abandon", params(("id" = i64, Path)),
    responses((status = 200, body = RescheduleView), (status = 409, description = "reschedule_not_initiated")))]
pub(crate) async fn abandon_reschedule(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(raw): Path<String>,
) -> Result<Json<RescheduleView>, ApiError> {
    let id = parse_id("booking", "booking_not_found", &raw)?;

    let now = state.now();
    let reschedule = state
        .run(move |store| store.write(|tx| reschedules::abandon(tx, id, &actor, now)))
        .await?;

    tracing::info!(
        booking_id = id,
        reschedule_id = reschedule.id,
        "reschedule abandoned"
    );
    Ok(Json(RescheduleView {
        reschedule,
        booking: None,
    }))
}

/// A booking's audit trail, oldest first.
#[utoipa::path(operation_id = "audit_booking", get, path = "/api/bookings/{id}/audit", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AuditEntry>), (status = 404, description = "booking_not_found")))]
pub(crate) async fn audit(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let id = parse_id("booking", "booking_not_found", &raw)?;
    let entries = state
        .run(move |store| {
            store.read(|conn| {
                Booking::get(conn, id)?;
                AuditEntry::for_booking(conn, id)
            })
        })
        .await?;
    Ok(Json(entries))
}
