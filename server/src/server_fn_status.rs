//! Gives server-function errors their real HTTP status. `server_fn` answers every error
//! it raises itself (an undecodable or forged body, a missing argument) with a 500; for
//! a public endpoint that is wrong — a forged request is the caller's fault (400) and
//! must not look like our failure in monitoring. Errors returned by the functions
//! themselves already carry their status (see `app::components::response_status`).

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::StatusCode,
    middleware::Next,
    response::Response,
};

use app::error::AppError;

/// Server-function errors are a few hundred bytes; anything bigger is not one.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn correct_error_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status_code()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
