//! The simulator's errors and how they reach the wire: always the spec's
//! `{"error": {"code", "message"}}` shape, never axum's plain-text rejections.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::wire::{ErrorBody, ErrorData};

/// What a simulated OpenRouter call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    /// An injected fault with the status it was asked for.
    #[error("{message}")]
    Injected { status: StatusCode, message: String },
}

impl ApiError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        ApiError::NotFound(message.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Injected { status, .. } => *status,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: ErrorData {
                code: status.as_u16(),
                message: self.to_string(),
            },
        };
        (status, Json(body)).into_response()
    }
}

/// Fallback for paths the simulator does not have.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("No such route")
}

/// Fallback for a known path called with a method it does not take.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed("Method not allowed".to_owned())
}
