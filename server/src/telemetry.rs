//! Logs: structured lines on stderr, human-readable by default and JSON with
//! `LOG_FORMAT=json` (for log collectors); `RUST_LOG` sets the levels.
//!
//! Every request runs in a `request` span with a request id (also sent back in the
//! `x-request-id` header, so a person reporting a problem can quote it), the method, the
//! path *without its query string* (OAuth callbacks carry `code` and `state` there), and
//! the workshop slug once a server function records it. A claim's lines, down to each
//! OpenRouter call, can be followed by that id.

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
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
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .try_init()
    };
}

/// Gives every request an id: 12 random hex digits, unique enough to find one request's
/// lines among a day's on any number of instances.
pub async fn assign_request_id(mut request: Request, next: Next) -> Response {
    let id: String = (0..6)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    request.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    response
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
