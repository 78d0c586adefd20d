//! The axum server of MelodyandMeter: the booking API, its OpenAPI document,
//! and the credential check. The router is built apart from any listener, so
//! the desktop shell, `melody serve` and tests each bind their own.

mod admin;
mod auth;
mod error;
mod extract;
mod feed;
pub mod import;
pub mod metrics;
mod openapi;
mod routes;
mod ui;
mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request};
use axum::Router;
use chrono::{DateTime, Utc};
use melody_billing::{Billing, BillingConfig, SecretKind};
use melody_domain::{LateCancelWindow, ResourceAllowlist, ResourceCapacity, StudioZone};
use melody_store::Store;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

pub use admin::AdminKey;
pub use auth::ApiCredential;
pub use error::ApiError;
pub use openapi::{openapi_json, ApiDoc};

/// Returns the current instant. Tests pass a fixed or steppable clock.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Settings the booking rules read.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub allowlist: ResourceAllowlist,
    pub late_cancel_window: LateCancelWindow,
    pub zone: StudioZone,
    /// Daily bookable minutes per resource, for utilization.
    pub capacity: ResourceCapacity,
}

/// Stores a Stripe setting where the next start reads it (the OS keyring).
/// Returns a sentence saying what failed.
pub type SaveSecret = Arc<dyn Fn(SecretKind, &str) -> Result<(), String> + Send + Sync>;

/// How the settings screen stores Stripe keys.
pub struct SecretSettings {
    pub save: SaveSecret,
    /// Settings that environment variables fix, which the screen cannot
    /// change.
    pub from_environment: Vec<SecretKind>,
}

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub settings: Arc<Settings>,
    pub credential: ApiCredential,
    /// Guards `/api/admin/`; without one those routes return 503.
    pub admin_key: Option<AdminKey>,
    pub clock: Clock,
    pub billing: Arc<Billing>,
    /// Without it the Stripe settings screen is read-only.
    pub secrets: Option<Arc<SecretSettings>>,
}

impl AppState {
    /// State with Stripe not set up; see [`AppState::with_billing`].
    pub fn new(store: Arc<Store>, settings: Settings, credential: ApiCredential) -> Self {
        let clock: Clock = Arc::new(Utc::now);
        let billing = Billing::new(Arc::clone(&store), BillingConfig::default(), Arc::clone(&clock));
        Self {
            store,
            settings: Arc::new(settings),
            credential,
            admin_key: None,
            clock,
            billing,
            secrets: None,
        }
    }

    #[must_use]
    pub fn with_billing(mut self, billing: Arc<Billing>) -> Self {
        self.billing = billing;
        self
    }

    #[must_use]
    pub fn with_secrets(mut self, secrets: SecretSettings) -> Self {
        self.secrets = Some(Arc::new(secrets));
        self
    }

    #[must_use]
    pub fn with_admin_key(mut self, key: AdminKey) -> Self {
        self.admin_key = Some(key);
        self
    }

    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The current instant in whole seconds, the precision of the store, so
    /// that a cancellation in the same second as the late-cancel boundary
    /// counts as exactly at it.
    pub fn now(&self) -> DateTime<Utc> {
        let now = (self.clock)();
        DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
    }

    /// Runs blocking store work off the async runtime, returning the store's
    /// own error for routes that map some errors themselves.
    ///
    /// # Errors
    /// The work's error; a panic in it is resumed here.
    pub async fn store_run<T, F>(&self, work: F) -> Result<T, melody_store::StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, melody_store::StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .unwrap_or_else(|join_error| std::panic::resume_unwind(join_error.into_panic()))
    }

    /// Runs blocking store work off the async runtime.
    ///
    /// # Errors
    /// The work's error mapped to its API error, or `internal` when the
    /// blocking task panicked.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, melody_store::StoreError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        let zone = self.settings.zone;
        match tokio::task::spawn_blocking(move || work(&store)).await {
            Ok(result) => result.map_err(|e| error::from_store(e, zone)),
            Err(join_error) => Err(ApiError::internal(&join_error)),
        }
    }
}

/// Builds the router with every route, the credential check and a tracing
/// span per request named after the matched route.
pub fn router(state: AppState) -> Router {
    routes::api()
        .merge(routes::admin(&state))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_credential,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span as fn(&Request) -> tracing::Span))
        .with_state(state)
}

/// Only the `/api/admin/` routes, for a listener that Prometheus on the
/// studio network reaches while the booking API stays on loopback.
pub fn admin_router(state: AppState) -> Router {
    routes::admin(&state)
        .fallback(routes::meta::fallback_api_only)
        .layer(TraceLayer::new_for_http().make_span_with(request_span as fn(&Request) -> tracing::Span))
        .with_state(state)
}

fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route = %route)
}

/// Serves `router` on `listener` until `shutdown` resolves.
///
/// # Errors
/// The listener's I/O error.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
