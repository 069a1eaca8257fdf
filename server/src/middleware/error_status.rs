//! The one place a server function's answer is finished:
//!
//! - its HTTP status. `server_fn` answers every error with a 500 — its own (an
//!   undecodable or forged body: the caller's fault, 400) and the function's (`AppError`,
//!   which knows its status). This layer reads the error back and gives the response
//!   [`AppError::status_code`], plus `Retry-After` when the error says when to try again.
//!   Layers that refuse a request before it reaches a function answer through
//!   [`error_response`], in the same shape.
//! - its redirect. A plain form post (no JavaScript) is answered with a redirect to the
//!   request's `Referer`, which is input: it goes through the one safe-local-path
//!   function, so the answer can only lead to a page of this site.

use axum::{
    body::{to_bytes, Body},
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};

use wire::error::AppError;
use wire::local_path::safe_next_path;

/// Server-function errors are a few hundred bytes; anything bigger is not one.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn correct_error_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if !is_server_fn {
        return response;
    }
    if response.status().is_redirection() {
        keep_redirect_local(&mut response);
        return response;
    }
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
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
        if let Some(seconds) = error.retry_after_secs() {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Rewrites `Location` to a path of this site: `http://host/w/x?y` becomes `/w/x?y`, and
/// anything `safe_next_path` refuses becomes `/`.
fn keep_redirect_local(response: &mut Response) {
    let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|value| value.to_str().ok())
    else {
        return;
    };
    let path = match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|at| &rest[at..]).unwrap_or("/"),
        None => location,
    };
    let local = safe_next_path(Some(path));
    if let Ok(value) = HeaderValue::from_str(&local) {
        response.headers_mut().insert(header::LOCATION, value);
    }
}

/// A refusal made before any handler ran: the serialised `AppError` for a server
/// function (so the page can show its message), its text for anything else.
pub fn error_response(error: AppError, for_server_function: bool) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let (body, content_type) = if for_server_function {
        (
            serde_json::to_string(&error).unwrap_or_default(),
            "application/json",
        )
    } else {
        (error.to_string(), "text/plain; charset=utf-8")
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap_or_default()
}
