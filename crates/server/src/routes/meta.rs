//! Health, status, the analytics event feed, the OpenAPI document and the
//! fallback for unknown routes.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use melody_domain::ResourceId;
use melody_store::AnalyticsEvent;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::extract::ApiQuery;
use crate::{ApiDoc, ApiError, AppState};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server responds.
    pub status: &'static str,
}

/// Liveness check; needs no credential.
#[utoipa::path(operation_id = "health", get, path = "/api/health", responses((status = 200, body = Health)))]
pub(crate) async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Settings and database path, for the desk's status bar.
#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    pub version: &'static str,
    /// Path of the SQLite file in use.
    pub database: String,
    pub studio_timezone: &'static str,
    pub late_cancel_window_hours: i64,
    /// Whether `ALLOWED_RESOURCE_IDS` restricts bookings.
    pub allowlist_enforced: bool,
    pub allowed_resource_ids: Vec<String>,
}

/// Server settings and the database in use.
#[utoipa::path(operation_id = "status", get, path = "/api/status", responses((status = 200, body = Status)))]
pub(crate) async fn status(State(state): State<AppState>) -> Json<Status> {
    let settings = &state.settings;
    Json(Status {
        version: env!("CARGO_PKG_VERSION"),
        database: state.store.path().display().to_string(),
        studio_timezone: settings.zone.name(),
        late_cancel_window_hours: settings.late_cancel_window.hours(),
        allowlist_enforced: settings.allowlist.is_enforced(),
        allowed_resource_ids: settings
            .allowlist
            .ids()
            .iter()
            .map(ResourceId::to_string)
            .collect(),
    })
}

/// Largest page of analytics events one request returns.
const MAX_EVENTS_PAGE: u32 = 1_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Return events with an id above this one (0 for the first page).
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 1000).
    pub limit: Option<u32>,
}

/// Page through the append-only analytics event log.
#[utoipa::path(operation_id = "events", get, path = "/api/events", params(EventsQuery),
    responses((status = 200, body = Vec<AnalyticsEvent>), (status = 400, description = "limit_invalid")))]
pub(crate) async fn events(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<Vec<AnalyticsEvent>>, ApiError> {
    let limit = query.limit.unwrap_or(MAX_EVENTS_PAGE);
    if !(1..=MAX_EVENTS_PAGE).contains(&limit) {
        return Err(ApiError::invalid(
            "limit_invalid",
            "limit",
            format!("limit {limit} is invalid: use 1 to {MAX_EVENTS_PAGE}"),
        ));
    }
    let after = query.after.unwrap_or(0);
    let events = state
        .run(move |store| store.read(|conn| AnalyticsEvent::list_after(conn, after, limit)))
        .await?;
    Ok(Json(events))
}

/// The OpenAPI 3.1 document of this API.
pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A known path with a method it does not take.
pub(crate) async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} does not take {method}: the methods are listed in /api/openapi.json.",
            uri.path()
        ),
    )
}

/// The fallback of the admin-only listener: a JSON 404 for every path.
pub(crate) async fn fallback_api_only(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!(
            "No route {} on the admin listener: it serves /api/admin/ only.",
            uri.path()
        ),
    )
}

/// Returns a JSON 404 for unknown `/api/` paths, and the UI for every other path.
pub(crate) async fn fallback(uri: Uri) -> Response {
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "route_not_found",
            format!(
                "No route {}: the routes are listed in /api/openapi.json.",
                uri.path()
            ),
        )
        .into_response();
    }
    crate::ui::serve_asset(uri).await
}
