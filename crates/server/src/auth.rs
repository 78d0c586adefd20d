//! The booking API's credential. On loopback (`melody serve` by default) the
//! interface is the boundary and no credential is asked. On any other address,
//! and in the desktop window, every `/api/` route but the health check needs
//! `Authorization: Bearer <token>`, compared in constant time. The UI's static
//! files are public: they hold no studio data.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::{ApiError, AppState};

/// Who may call the booking API.
#[derive(Clone)]
pub enum ApiCredential {
    /// No credential: only for a loopback listener.
    LoopbackOpen,
    /// A bearer token every request must carry.
    Bearer(Arc<str>),
}

impl std::fmt::Debug for ApiCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LoopbackOpen => f.write_str("LoopbackOpen"),
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

impl ApiCredential {
    pub fn bearer(token: &str) -> Self {
        Self::Bearer(Arc::from(token))
    }

    fn accepts(&self, request: &Request) -> bool {
        let Self::Bearer(expected) = self else {
            return true;
        };
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or("");
        bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
    }
}

/// Paths anyone on the listener may read: they reveal nothing about
/// bookings or people.
const PUBLIC_PATHS: [&str; 1] = ["/api/health"];

pub(crate) async fn require_credential(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // Admin routes check the admin key instead.
    let is_api = (path == "/api" || path.starts_with("/api/")) && !path.starts_with("/api/admin/");
    if !is_api || PUBLIC_PATHS.contains(&path) || state.credential.accepts(&request) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "request rejected: missing or wrong API credential");
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "This server needs a credential: send Authorization: Bearer <token>.",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}
