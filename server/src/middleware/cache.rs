//! `Cache-Control` for every response. With hashed file names (release builds) a
//! package file's name changes whenever its content does, so browsers may keep it for a
//! year; without hashes (dev) they must revalidate every time or they would run stale
//! wasm. Images (the favicon) may be kept a day. Everything else — pages, server
//! function answers, redirects, errors — is `no-store`: pages show who is signed in,
//! and the claim page and `claim_key`/`my_claim` carry a plaintext key, which must never
//! sit in a shared or back-forward cache.

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const REVALIDATE: &str = "no-cache";
pub const STATIC_FILE: &str = "public, max-age=86400";
pub const NO_STORE: &str = "no-store";

/// Builds the middleware for a site whose package folder is served at `pkg_prefix`.
pub async fn cache_headers(
    pkg_prefix: &'static str,
    hashed: bool,
    request: Request,
    next: Next,
) -> Response {
    let is_package_file = request.uri().path().starts_with(pkg_prefix);
    let mut response = next.run(request).await;
    let success = response.status().is_success();
    let is_image = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("image/"));
    let value = match (is_package_file && success, is_image && success) {
        (true, _) if hashed => IMMUTABLE,
        (true, _) => REVALIDATE,
        (false, true) => STATIC_FILE,
        (false, false) => NO_STORE,
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}
