//! Admin routes; the admin-key check wraps all of them.

use axum::extract::State;
use axum::Json;
use melody_domain::ResourceId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

/// Whether the resource allowlist is enforced, and what it allows.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllowlistView {
    pub enforced: bool,
    pub allowed_resource_ids: Vec<String>,
}

/// The resource allowlist in force.
#[utoipa::path(operation_id = "admin_resources", get, path = "/api/admin/resources", security(("admin_key" = [])),
    responses((status = 200, body = AllowlistView), (status = 401, description = "unauthorized"),
              (status = 429, description = "too_many_failures")))]
pub(crate) async fn resources(State(state): State<AppState>) -> Json<AllowlistView> {
    let allowlist = &state.settings.allowlist;
    Json(AllowlistView {
        enforced: allowlist.is_enforced(),
        allowed_resource_ids: allowlist.ids().iter().map(ResourceId::to_string).collect(),
    })
}

/// Prometheus text exposition of the booking metrics.
#[utoipa::path(operation_id = "admin_metrics", get, path = "/api/admin/metrics", security(("admin_key" = [])),
    responses((status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain"),
              (status = 401, description = "unauthorized"), (status = 429, description = "too_many_failures")))]
pub(crate) async fn metrics(state: State<AppState>) -> Result<axum::response::Response, crate::ApiError> {
    crate::metrics::metrics(state).await
}
