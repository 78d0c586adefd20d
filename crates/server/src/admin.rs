//! The admin key that guards every `/api/admin/` route, sent as
//! `Authorization: Bearer <key>` (what Prometheus sends with
//! `authorization.credentials`). Comparison is constant-time, and a client
//! address that fails too often gets 429 for its wrong keys for the rest of
//! a minute; the right key still passes.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// Failed attempts one address may make in `FAILURE_WINDOW` before it is
/// turned away.
pub const MAX_FAILURES: u32 = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// The admin key and the failure counts per client address.
#[derive(Clone)]
pub struct AdminKey {
    key: Arc<str>,
    failures: Arc<Mutex<HashMap<IpAddr, (Instant, u32)>>>,
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminKey(<redacted>)")
    }
}

impl AdminKey {
    pub fn new(key: &str) -> Self {
        Self {
            key: Arc::from(key),
            failures: Arc::default(),
        }
    }

    fn matches(&self, request: &Request) -> bool {
        crate::auth::bearer_matches(request, &self.key)
    }

    /// Whether `ip` used up its failures in the current window.
    fn is_blocked(&self, ip: IpAddr, now: Instant) -> bool {
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.get(&ip).is_some_and(|(since, count)| {
            now.duration_since(*since) < FAILURE_WINDOW && *count >= MAX_FAILURES
        })
    }

    /// Counts a failure and returns the count in the current window.
    fn record_failure(&self, ip: IpAddr, now: Instant) -> u32 {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.retain(|_, (since, _)| now.duration_since(*since) < FAILURE_WINDOW);
        let entry = failures.entry(ip).or_insert((now, 0));
        entry.1 += 1;
        entry.1
    }
}

pub(crate) async fn require_admin_key(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let Some(admin) = state.admin_key.as_ref() else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "admin_key_missing",
            "No admin key is configured on this server: set ADMIN_API_KEY and restart.",
        )
        .into_response();
    };
    // The right key always passes, so wrong guesses from the same address
    // (every local client is 127.0.0.1) cannot lock Prometheus out.
    if admin.matches(&request) {
        return next.run(request).await;
    }
    let now = Instant::now();
    if admin.is_blocked(peer.ip(), now) {
        return too_many_failures();
    }

    let count = admin.record_failure(peer.ip(), now);
    if count == 1 {
        tracing::warn!(client = %peer.ip(), path = %request.uri().path(), "admin request rejected: missing or wrong admin key");
    } else if count == MAX_FAILURES {
        tracing::warn!(client = %peer.ip(), failures = count, "admin key failures from this client: turning it away for a minute; further failures are not logged");
    }
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Admin routes need the admin key: send Authorization: Bearer <ADMIN_API_KEY>.",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn too_many_failures() -> Response {
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_failures",
        format!(
            "Too many wrong admin keys from this address: wait {} seconds, then send the right key.",
            FAILURE_WINDOW.as_secs()
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(FAILURE_WINDOW.as_secs()));
    response
}
