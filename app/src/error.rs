//! The one error type the browser sees. Internal causes (SQL, HTTP, file paths) are
//! logged on the server where they happen and never put in here.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in first.")]
    Unauthenticated,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    WindowClosed(String),
    #[error("{0}")]
    SoldOut(String),
    #[error("{0}")]
    DomainNotAllowed(String),
    #[error("{0}")]
    InvalidInput(String),
    /// Another request (say, a second tab) is minting this key right now.
    #[error("Your key is still being prepared. Try again in a few seconds.")]
    InProgress,
    #[error("OpenRouter is not answering right now. Please try again in a moment.")]
    UpstreamUnavailable,
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal,
    /// The request never reached the server function (network, decoding).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status a response carrying this error should have.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::DomainNotAllowed(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::WindowClosed(_) | AppError::SoldOut(_) | AppError::InProgress => 409,
            AppError::InvalidInput(_) => 400,
            AppError::UpstreamUnavailable => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A malformed or forged request body is the caller's fault, not ours.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                AppError::InvalidInput(message)
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
