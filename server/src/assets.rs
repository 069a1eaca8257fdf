//! Cache headers for the compiled site. With hashed file names (release builds) a file's
//! name changes whenever its content does, so browsers may keep it for a year; without
//! hashes (dev) they must revalidate every time or they would run stale wasm.

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const REVALIDATE: &str = "no-cache";

/// Builds the middleware for a site whose package folder is served at `pkg_prefix`.
pub async fn cache_headers(
    pkg_prefix: &'static str,
    hashed: bool,
    request: Request,
    next: Next,
) -> Response {
    let is_package_file = request.uri().path().starts_with(pkg_prefix);
    let mut response = next.run(request).await;
    if is_package_file && response.status().is_success() {
        let value = if hashed { IMMUTABLE } else { REVALIDATE };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}
