//! Rooms and instruments.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use melody_domain::{PersonName, ResourceId, ResourceKind};
use melody_store::{NewResource, Resource};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::extract::ApiJson;
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResource {
    /// Short stable slug: a letter, then letters, digits, `_` or `-` (at most 32).
    #[schema(example = "piano")]
    pub id: String,
    #[schema(example = "Grand piano")]
    pub name: String,
    /// `room` or `instrument`.
    #[schema(example = "instrument")]
    pub kind: String,
}

fn validate(body: CreateResource) -> Result<NewResource, ApiError> {
    let id = ResourceId::parse(&body.id)
        .map_err(|e| ApiError::invalid("resource_id_malformed", "id", e.to_string()))?;
    let name = PersonName::parse(&body.name)
        .map_err(|e| ApiError::invalid("name_invalid", "name", e.to_string()))?;
    let kind = body
        .kind
        .parse::<ResourceKind>()
        .map_err(|e| ApiError::invalid("kind_invalid", "kind", e.to_string()))?;
    Ok(NewResource { id, name, kind })
}

/// Add a room or an instrument.
#[utoipa::path(operation_id = "create_resource", post, path = "/api/resources", request_body = CreateResource,
    responses((status = 201, body = Resource), (status = 400, description = "invalid id, name or kind"),
              (status = 409, description = "resource_exists")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateResource>,
) -> Result<(StatusCode, Json<Resource>), ApiError> {
    let new = validate(body)?;

    let now = state.now();
    let resource = state
        .run(move |store| store.write(|tx| new.insert(tx, now)))
        .await?;

    tracing::info!(resource_id = %resource.id, kind = %resource.kind, "resource created");
    Ok((StatusCode::CREATED, Json(resource)))
}

/// List rooms and instruments.
#[utoipa::path(operation_id = "list_resources", get, path = "/api/resources", responses((status = 200, body = Vec<Resource>)))]
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Vec<Resource>>, ApiError> {
    let resources = state.run(|store| store.read(Resource::list)).await?;
    Ok(Json(resources))
}
