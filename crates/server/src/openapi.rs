//! The OpenAPI document, generated from the handlers and types so that it
//! cannot drift from them. Served at `/api/openapi.json`.

use utoipa::OpenApi;

use crate::routes::{bookings, meta, people, resources};

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
    )
)]
pub struct ApiDoc;

/// The document as pretty-printed JSON, as served and as committed for the UI.
pub fn openapi_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the generated document serializes")
}
