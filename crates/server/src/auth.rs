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
        bearer_matches(request, expected)
    }
}

/// Whether the request's `Authorization: Bearer` token equals `expected`,
/// compared in constant time. The scheme name is case-insensitive, as HTTP
/// authentication schemes are.
pub(crate) fn bearer_matches(request: &Request, expected: &str) -> bool {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim());
    bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// Paths that need no API credential: the health check, and the Stripe
/// webhook, whose signature is its credential.
const PUBLIC_PATHS: [&str; 2] = ["/api/health", "/api/webhooks/stripe"];

/// Whether `host` (a Host header value) names this machine's loopback
/// interface.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

fn reject(status: StatusCode, code: &'static str, message: &str) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// Browser protections for a server on loopback. A page from another site
/// can make the desk's browser send requests here: a Host other than
/// loopback means DNS rebinding, and a write whose Origin is not this
/// server's own is a cross-site request. Both are refused.
fn check_browser_request(request: &Request, credential: &ApiCredential) -> Option<Response> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if matches!(credential, ApiCredential::LoopbackOpen) && !is_loopback_host(host) {
        tracing::warn!(host, "request rejected: Host is not a loopback name");
        return Some(reject(
            StatusCode::FORBIDDEN,
            "host_rejected",
            "This server answers only requests addressed to 127.0.0.1 or localhost.",
        ));
    }
    let writes = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok());
    if let Some(origin) = origin.filter(|_| writes) {
        let same_origin = origin.strip_prefix("http://").is_some_and(|rest| rest == host);
        if !same_origin {
            tracing::warn!(origin, "request rejected: cross-site write");
            return Some(reject(
                StatusCode::FORBIDDEN,
                "origin_rejected",
                "Changes are accepted only from this server's own pages.",
            ));
        }
    }
    None
}

pub(crate) async fn require_credential(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // Admin routes check the admin key instead.
    let is_api = (path == "/api" || path.starts_with("/api/")) && !path.starts_with("/api/admin/");
    // A feed's token in its path is its credential, for calendar apps.
    let is_feed = path.starts_with("/api/feeds/ics/");
    if !is_api || is_feed || PUBLIC_PATHS.contains(&path) {
        return next.run(request).await;
    }
    if let Some(rejection) = check_browser_request(&request, &state.credential) {
        return rejection;
    }
    if state.credential.accepts(&request) {
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
