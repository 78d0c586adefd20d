//! The one API error type: a status, a stable `error` code, a plain
//! `message`, and extra fields such as `field`, `allowed` or `conflicts`.
//! Server faults return a fixed body and log their cause once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use melody_store::StoreError;
use serde_json::{json, Map, Value};

use crate::views::ConflictView;

/// The body of every error response. Only `error` and `message` are always
/// present; the others come with the errors that need them.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code, such as `booking_conflict` or `start_invalid`.
    pub error: String,
    /// A plain sentence saying what failed and what to do.
    pub message: String,
    /// The request field at fault, for errors about one field.
    pub field: Option<String>,
    /// With `resource_id_invalid`: the resource ids the allowlist permits.
    pub allowed: Option<Vec<String>>,
    /// With `booking_conflict`: every confirmed booking the request overlaps.
    pub conflicts: Option<Vec<ConflictView>>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    extra: Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            extra: Map::new(),
        }
    }

    /// A 400 about one request field, which the UI shows beside that field.
    pub fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message).with("field", field)
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The server failed to handle the request; the cause is in the server log.",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("error".into(), json!(self.code));
        body.insert("message".into(), json!(self.message));
        body.extend(self.extra);
        (self.status, Json(Value::Object(body))).into_response()
    }
}

/// Maps a store error to its API error. `field` names the request field a
/// missing party came from, when there is one.
pub fn from_store(error: StoreError, zone: melody_domain::StudioZone) -> ApiError {
    match error {
        StoreError::NotFound { kind, id } => {
            let code = match kind {
                "resource" => "resource_not_found",
                "teacher" => "teacher_not_found",
                "student" => "student_not_found",
                "booking" => "booking_not_found",
                "outbox item" => "outbox_item_not_found",
                _ => "not_found",
            };
            let message = match kind {
                "booking" | "reschedule" | "outbox item" => format!("{kind} {id} not found: check the id"),
                _ => format!("{kind} {id:?} not found: check the id, or create the {kind} first"),
            };
            let field = match kind {
                "resource" => Some("resource_id"),
                "teacher" => Some("teacher_id"),
                "student" => Some("student_id"),
                _ => None,
            };
            let error = ApiError::new(StatusCode::NOT_FOUND, code, message);
            match field {
                Some(field) => error.with("field", field),
                None => error,
            }
        }
        StoreError::Conflict { conflicts } => {
            let views: Vec<ConflictView> = conflicts
                .into_iter()
                .map(|c| ConflictView::new(c, zone))
                .collect();
            let message = conflict_message(&views);
            tracing::warn!(conflicts = views.len(), "booking rejected: slot taken");
            ApiError::new(StatusCode::CONFLICT, "booking_conflict", message)
                .with("conflicts", serde_json::to_value(views).unwrap_or_default())
        }
        StoreError::ResourceExists { ref id } => {
            ApiError::new(StatusCode::CONFLICT, "resource_exists", error.to_string())
                .with("field", "id")
                .with("id", id.clone())
        }
        StoreError::NotConfirmed { .. } => ApiError::new(
            StatusCode::CONFLICT,
            "booking_not_confirmed",
            format!("{error}: only a confirmed booking can be cancelled or rescheduled"),
        ),
        StoreError::ReschedulePending { .. } => {
            ApiError::new(StatusCode::CONFLICT, "reschedule_pending", error.to_string())
        }
        StoreError::NoPendingReschedule { .. } => ApiError::new(
            StatusCode::CONFLICT,
            "reschedule_not_initiated",
            error.to_string(),
        ),
        StoreError::OutboxClosed { .. } => {
            ApiError::new(StatusCode::CONFLICT, "outbox_item_closed", error.to_string())
        }
        busy if busy.is_busy() => {
            tracing::warn!(error = %busy, "request failed: database busy");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_busy",
                "The database is busy with another writer: try again in a moment.",
            )
        }
        other => ApiError::internal(&other),
    }
}

fn conflict_message(conflicts: &[ConflictView]) -> String {
    let parts: Vec<String> = conflicts
        .iter()
        .map(|c| {
            let on: Vec<&str> = c.on.iter().map(|o| o.as_str()).collect();
            format!(
                "booking {} ({} to {}, same {})",
                c.booking.booking.id,
                c.booking.start_local,
                c.booking.end_local,
                on.join(" and ")
            )
        })
        .collect();
    format!(
        "The lesson overlaps {}: pick another time, resource, teacher or student.",
        parts.join("; ")
    )
}
