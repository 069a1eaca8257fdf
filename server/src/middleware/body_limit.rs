//! Request bodies are small here — a server function takes a slug, a sign-in form a name
//! and an email — so anything larger is refused with 413 before it is read further, and
//! a body that cannot be read (a broken chunked encoding) or is not text (a server
//! function body that is not UTF-8) is refused with 400. The handlers behind this layer
//! never see such a request, so they cannot answer it with a 500.

use axum::{
    body::Body,
    extract::Request,
    http::{header, Method},
    middleware::Next,
    response::Response,
};

use super::error_status::error_response;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use wire::error::AppError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub async fn limit_request_bodies(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let for_server_function = request.uri().path().starts_with("/api/");
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return error_response(AppError::TooLarge, for_server_function);
    }
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return error_response(AppError::TooLarge, for_server_function)
        }
        Err(_) => {
            return error_response(
                AppError::InvalidInput("The request body could not be read.".into()),
                for_server_function,
            )
        }
    };
    if for_server_function && std::str::from_utf8(&bytes).is_err() {
        return error_response(
            AppError::InvalidInput("The request body is not text (UTF-8).".into()),
            true,
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
