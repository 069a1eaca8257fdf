//! Logs: structured lines on stderr, human-readable by default and JSON with
//! `LOG_FORMAT=json` (for log collectors); `RUST_LOG` sets the levels.
//!
//! Every request runs in a `request` span with a request id (also sent back in the
//! `x-request-id` header, so a person reporting a problem can quote it), the method, the
//! path *without its query string* (OAuth callbacks carry `code` and `state` there), and
//! the workshop slug once a server function records it. A claim's lines, down to each
//! OpenRouter call, can be followed by that id.

use std::time::Duration;

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use tower_http::classify::ServerErrorsFailureClass;
use tracing::Span;
use tracing_subscriber::EnvFilter;

pub const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// The header carrying the request id back to the client.
pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id, put in its extensions by [`assign_request_id`].
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    // try_init: tests may start several servers in one process.
    let _ = if json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(std::io::stderr)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_writer(std::io::stderr)
            .try_init()
    };
}

/// Gives every request an id: the `x-request-id` it came with when that is well formed
/// (a proxy or load balancer in front names requests, and one id then follows a request
/// through both logs), else 12 random hex digits, unique enough to find one request's
/// lines among a day's on any number of instances.
pub async fn assign_request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| is_well_formed_request_id(id))
        .map(str::to_string)
        .unwrap_or_else(|| {
            (0..6)
                .map(|_| format!("{:02x}", rand::random::<u8>()))
                .collect()
        });
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    response
}

/// An incoming request id we repeat in logs and answers: 1 to 64 letters, digits, `-`,
/// `_` or `.` (a UUID, a proxy's hex id) — nothing that could break a log line.
fn is_well_formed_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'))
}

/// The span of one request (see the module documentation).
pub fn request_span(request: &Request) -> Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.as_str())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        id,
        method = %request.method(),
        path = request.uri().path(),
        slug = tracing::field::Empty,
    )
}

/// How a request that ended in a server error is logged. A 503 is the server saying
/// "not now" on purpose — `/readyz` while draining, a claim while OpenRouter is known to be
/// failing — so it is a warning; any other 5xx is an error. (tower-http's default logs
/// every 5xx as an error, so each load balancer probe of a draining instance read as a
/// failure.)
pub fn log_server_error(class: ServerErrorsFailureClass, latency: Duration, span: &Span) {
    let latency_ms = latency.as_millis() as u64;
    match class {
        ServerErrorsFailureClass::StatusCode(status)
            if status == axum::http::StatusCode::SERVICE_UNAVAILABLE =>
        {
            tracing::warn!(parent: span, %status, latency_ms, "service unavailable (on purpose: draining or holding back)");
        }
        other => {
            tracing::error!(parent: span, classification = %other, latency_ms, "response failed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_well_formed_request_id;

    #[test]
    fn only_tidy_request_ids_are_taken_over() {
        assert!(is_well_formed_request_id(
            "3f2a9c1e-7b4d-4e21-9a0f-2c6e8d1b5a77"
        ));
        assert!(is_well_formed_request_id("req_01.abc"));
        assert!(!is_well_formed_request_id(""));
        assert!(!is_well_formed_request_id("a b"));
        assert!(!is_well_formed_request_id("x\ninjected"));
        assert!(!is_well_formed_request_id(&"a".repeat(65)));
    }
}
