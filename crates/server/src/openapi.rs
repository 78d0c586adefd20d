//! The OpenAPI document, generated from the handlers and types so that it
//! cannot drift from them. Served at `/api/openapi.json`.

use utoipa::OpenApi;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;

use crate::routes::{admin, billing, bookings, meta, people, resources, series, transfer};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MelodyandMeter API",
        description = "Front-desk booking API. Errors are JSON objects with `error` (a stable code) and `message` (a plain sentence); a 400 about one field also has `field`."
    ),
    paths(
        meta::health,
        meta::status,
        meta::events,
        resources::create,
        resources::list,
        people::create_teacher,
        people::list_teachers,
        people::get_teacher,
        people::create_student,
        people::list_students,
        people::get_student,
        bookings::create,
        bookings::list,
        bookings::get,
        bookings::cancel,
        bookings::initiate_reschedule,
        bookings::complete_reschedule,
        bookings::abandon_reschedule,
        bookings::audit,
        transfer::export_bookings,
        transfer::export_audit,
        transfer::import_csv,
        series::create,
        series::get,
        series::change,
        series::cancel,
        series::create_feed,
        series::list_feeds,
        series::revoke_feed,
        series::feed_ics,
        series::import,
        billing::create_setup_intent,
        billing::create_subscription,
        billing::stripe_webhook,
        billing::status,
        billing::prices,
        billing::outbox,
        billing::retry,
        billing::dismiss,
        billing::students,
        billing::student,
        billing::get_settings,
        billing::update_settings,
        admin::resources,
        admin::metrics,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&AdminKeyScheme)
)]
pub struct ApiDoc;

/// Declares the admin key as an HTTP bearer scheme.
struct AdminKeyScheme;

impl Modify for AdminKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as pretty-printed JSON, as served and as committed for the UI.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the generated document serializes")
}
