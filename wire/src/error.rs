//! The one error type the browser sees. Internal causes (SQL, HTTP, file paths) are
//! logged on the server where they happen and never put in here. The HTTP status of a
//! server function's error is set in one place, the server's `error_status` middleware,
//! from [`AppError::status_code`].

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
    /// Another sign-in of someone else's (or an unprovable) spelling of this mailbox
    /// already holds the workshop's key for it.
    #[error("{0}")]
    MailboxTaken(String),
    #[error("{0}")]
    InvalidInput(String),
    /// The action would undo newer work: another instance runs a newer version of the
    /// workshop's file (a rolling deploy in progress).
    #[error("{0}")]
    Superseded(String),
    /// Another request (say, a second tab) is minting this key right now.
    #[error("Your key is still being prepared. Try again in a few seconds.")]
    InProgress,
    /// OpenRouter failed or is known to be failing; nothing was lost.
    #[error("OpenRouter is not answering right now; nothing is lost. Please try again in {retry_in_secs} s.")]
    UpstreamUnavailable { retry_in_secs: i64 },
    /// A state-changing request from a page of another site (cross-site request forgery).
    #[error("This request came from another website, so it was refused. Open this site directly and try again.")]
    CrossSite,
    #[error("The request is too large.")]
    TooLarge,
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal,
    /// The caller's stored key does not open (a damaged row, or a server missing the
    /// key it was sealed with). Other attendees are not affected.
    #[error("Your key cannot be read from our database right now. This has been logged; please tell the organisers, who can see it on their page.")]
    KeyUnreadable,
    /// The request never reached the server function (network, decoding).
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status a response carrying this error should have.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::DomainNotAllowed(_) | AppError::CrossSite => 403,
            AppError::NotFound(_) => 404,
            AppError::WindowClosed(_)
            | AppError::SoldOut(_)
            | AppError::InProgress
            | AppError::MailboxTaken(_)
            | AppError::Superseded(_) => 409,
            AppError::InvalidInput(_) => 400,
            AppError::TooLarge => 413,
            AppError::UpstreamUnavailable { .. } => 503,
            AppError::Internal | AppError::Transport(_) | AppError::KeyUnreadable => 500,
        }
    }

    /// Seconds after which trying again makes sense (`Retry-After`), when known.
    pub fn retry_after_secs(&self) -> Option<i64> {
        match self {
            AppError::UpstreamUnavailable { retry_in_secs } => Some(*retry_in_secs),
            AppError::InProgress => Some(2),
            _ => None,
        }
    }
}

#[cfg(feature = "server-fn")]
impl server_fn::error::FromServerFnError for AppError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr;
        match value {
            // A malformed or forged request body is the caller's fault, not ours.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                AppError::InvalidInput(message)
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
