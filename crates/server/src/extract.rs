//! Request extractors whose rejections use the API error shape, and the
//! parsing of path ids and the acting staff member.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// A JSON body; a malformed one is rejected with 400 `invalid_json` naming the problem.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "The request body is larger than 2 MB: send less, such as shorter notes.",
        );
    }
    let (status, hint) = match rejection {
        JsonRejection::MissingJsonContentType(_) => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the body with Content-Type: application/json",
        ),
        JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "send well-formed JSON"),
        JsonRejection::JsonDataError(_) => (
            StatusCode::BAD_REQUEST,
            "check the field names and types against /api/openapi.json",
        ),
        _ => (StatusCode::BAD_REQUEST, "send a JSON object"),
    };
    ApiError::new(
        status,
        "invalid_json",
        format!(
            "The request body was rejected ({}): {hint}.",
            rejection.body_text()
        ),
    )
}

/// Query parameters; malformed ones are rejected with 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!(
            "The query string was rejected ({}): check it against /api/openapi.json.",
            rejection.body_text()
        ),
    )
}

/// Parses a numeric id from the path, naming the value when it is not one.
///
/// # Errors
/// 404 with `<kind>_not_found`, because no such record can exist.
pub fn parse_id(kind: &'static str, code: &'static str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            code,
            format!("{kind} {raw:?} not found: {kind} ids are whole numbers, such as 42"),
        )
    })
}

/// Header naming the staff member making a change; recorded in the audit log.
pub const ACTOR_HEADER: &str = "x-melody-actor";
/// Recorded when a request names no staff member.
pub const DEFAULT_ACTOR: &str = "front-desk";
const MAX_ACTOR_CHARS: usize = 100;

/// The staff member from `X-Melody-Actor`, or `front-desk` when absent.
pub struct Actor(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(ACTOR_HEADER) else {
            return Ok(Self(DEFAULT_ACTOR.to_owned()));
        };
        let invalid = || {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "actor_invalid",
                format!("The {ACTOR_HEADER} header must be a staff name of 1 to {MAX_ACTOR_CHARS} UTF-8 characters without control characters."),
            )
        };
        let name = std::str::from_utf8(value.as_bytes()).map_err(|_| invalid())?;
        let valid = !name.trim().is_empty()
            && name.chars().count() <= MAX_ACTOR_CHARS
            && !name.chars().any(char::is_control);
        if !valid {
            return Err(invalid());
        }
        Ok(Self(name.to_owned()))
    }
}
