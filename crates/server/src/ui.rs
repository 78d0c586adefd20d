//! The front-desk web UI, embedded in the binary at build time and served at
//! `/`. Unknown paths outside `/api/` get `index.html`, so the UI's own
//! routes survive a reload.

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$MELODY_UI_DIR"]
struct Assets;

/// Sent with every UI page: scripts, styles and API calls from this origin
/// only, except Stripe.js, which the card form loads from Stripe and which
/// runs the card fields in Stripe's own frames and calls Stripe's API, so
/// card numbers never pass through the app. Inline styles are allowed
/// because the calendar positions events with `style` attributes.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' https://js.stripe.com; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: https://*.stripe.com; connect-src 'self' https://api.stripe.com; \
     frame-src https://js.stripe.com https://hooks.stripe.com; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub(crate) async fn serve_asset(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (file, path) = match Assets::get(path).filter(|_| !path.is_empty()) {
        Some(file) => (file, path),
        None => match Assets::get("index.html") {
            Some(file) => (file, "index.html"),
            None => return (StatusCode::NOT_FOUND, "the UI is missing from this build").into_response(),
        },
    };
    // Vite puts content hashes in the names of files under assets/.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mime = file.metadata.mimetype().to_owned();
    let mut response = (StatusCode::OK, file.data).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
