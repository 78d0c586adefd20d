//! The API routes, one module per concern.

pub(crate) mod admin;
pub(crate) mod billing;
pub(crate) mod bookings;
pub(crate) mod meta;
pub(crate) mod people;
pub(crate) mod resources;
pub(crate) mod series;
pub(crate) mod transfer;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub(crate) fn admin(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/admin/resources", get(admin::resources))
        .route("/api/admin/metrics", get(admin::metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::admin::require_admin_key,
        ))
}

pub(crate) fn api() -> Router<AppState> {
    Router::new()
        .route("/api/health", get(meta::health))
        .route("/api/status", get(meta::status))
        .route("/api/openapi.json", get(meta::openapi))
        .route("/api/events", get(meta::events))
        .route("/api/resources", get(resources::list).post(resources::create))
        .route(
            "/api/teachers",
            get(people::list_teachers).post(people::create_teacher),
        )
        .route("/api/teachers/{id}", get(people::get_teacher))
        .route(
            "/api/students",
            get(people::list_students).post(people::create_student),
        )
        .route("/api/students/{id}", get(people::get_student))
        .route("/api/bookings", get(bookings::list).post(bookings::create))
        .route("/api/bookings/{id}", get(bookings::get))
        .route("/api/bookings/{id}/cancel", post(bookings::cancel))
        .route(
            "/api/bookings/{id}/reschedule",
            post(bookings::initiate_reschedule),
        )
        .route(
            "/api/bookings/{id}/reschedule/complete",
            post(bookings::complete_reschedule),
        )
        .route(
            "/api/bookings/{id}/reschedule/abandon",
            post(bookings::abandon_reschedule),
        )
        .route("/api/bookings/{id}/audit", get(bookings::audit))
        .route("/api/export/bookings.csv", get(transfer::export_bookings))
        .route("/api/export/audit.csv", get(transfer::export_audit))
        .route(
            "/api/import/csv/{kind}",
            post(transfer::import_csv).layer(DefaultBodyLimit::max(transfer::MAX_IMPORT_BYTES)),
        )
        .route("/api/students/{id}/billing", get(billing::student))
        .route("/api/payments/setup-intent", post(billing::create_setup_intent))
        .route("/api/billing/subscriptions", post(billing::create_subscription))
        .route("/api/billing/status", get(billing::status))
        .route("/api/billing/prices", get(billing::prices))
        .route("/api/billing/students", get(billing::students))
        .route("/api/billing/outbox", get(billing::outbox))
        .route("/api/billing/outbox/{id}/retry", post(billing::retry))
        .route("/api/billing/outbox/{id}/dismiss", post(billing::dismiss))
        .route("/api/webhooks/stripe", post(billing::stripe_webhook))
        .route("/api/series", post(series::create))
        .route("/api/series/{id}", get(series::get))
        .route("/api/series/{id}/change", post(series::change))
        .route("/api/series/{id}/cancel", post(series::cancel))
        .route("/api/feeds", get(series::list_feeds).post(series::create_feed))
        .route("/api/feeds/{id}/revoke", post(series::revoke_feed))
        .route("/api/feeds/ics/{token}", get(series::feed_ics))
        .route(
            "/api/import/ics",
            post(series::import).layer(axum::extract::DefaultBodyLimit::max(series::MAX_ICS_BYTES + 1)),
        )
        .route(
            "/api/settings/stripe",
            get(billing::get_settings).put(billing::update_settings),
        )
        .fallback(meta::fallback)
        .method_not_allowed_fallback(meta::method_not_allowed)
}
