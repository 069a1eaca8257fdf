//! What can go wrong talking to OpenRouter. Every variant names the call (method and
//! path, never a query string or body) so logs say exactly which step failed; none
//! carries the management key or a minted key.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpenRouterError {
    /// OpenRouter answered with an error status.
    #[error("OpenRouter answered {status} to {method} {path}: {message}")]
    Api {
        status: u16,
        method: &'static str,
        path: String,
        message: String,
        /// From `Retry-After` on a 429.
        retry_after: Option<Duration>,
    },
    /// No answer within the timeout: the call may or may not have been applied.
    #[error("{method} {path} timed out")]
    Timeout { method: &'static str, path: String },
    /// The connection failed or broke: the call may or may not have been applied.
    #[error("{method} {path} failed: {message}")]
    Transport {
        method: &'static str,
        path: String,
        message: String,
    },
    /// A success status with a body we cannot read: the call took effect, but we do
    /// not know what it made.
    #[error("{method} {path}: unexpected response: {message}")]
    Decode {
        method: &'static str,
        path: String,
        message: String,
    },
    /// Not sent: OpenRouter has been failing and the circuit breaker is open.
    #[error("OpenRouter is failing; not calling it for another {} s", retry_in.as_secs().max(1))]
    Unavailable { retry_in: Duration },
}

impl OpenRouterError {
    pub fn status(&self) -> Option<u16> {
        match self {
            OpenRouterError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth another try (on a call that is safe to repeat): rate limits, server errors,
    /// timeouts and broken connections. A 4xx other than 429 will fail the same way again.
    pub fn is_transient(&self) -> bool {
        match self {
            OpenRouterError::Api { status, .. } => *status == 429 || *status >= 500,
            OpenRouterError::Timeout { .. } | OpenRouterError::Transport { .. } => true,
            OpenRouterError::Decode { .. } | OpenRouterError::Unavailable { .. } => false,
        }
    }

    /// The call may have taken effect even though we got no usable answer: a timeout, a
    /// broken connection, a 5xx, or a success whose body we could not read. A caller
    /// that created something must look before trying again.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            OpenRouterError::Api { status, .. } => *status >= 500,
            OpenRouterError::Timeout { .. }
            | OpenRouterError::Transport { .. }
            | OpenRouterError::Decode { .. } => true,
            OpenRouterError::Unavailable { .. } => false,
        }
    }

    /// Whether this failure says OpenRouter is down (what the circuit breaker counts):
    /// no answer, a broken connection, or a server error. A 4xx or a 429 is an answer.
    pub fn is_outage(&self) -> bool {
        match self {
            OpenRouterError::Api { status, .. } => *status >= 500,
            OpenRouterError::Timeout { .. } | OpenRouterError::Transport { .. } => true,
            OpenRouterError::Decode { .. } | OpenRouterError::Unavailable { .. } => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            OpenRouterError::Api { retry_after, .. } => *retry_after,
            OpenRouterError::Unavailable { retry_in } => Some(*retry_in),
            _ => None,
        }
    }

    /// Whole seconds to tell a person to wait before trying again (at least 1).
    pub fn retry_in_secs(&self) -> i64 {
        self.retry_after()
            .map(|wait| wait.as_secs_f64().ceil() as i64)
            .unwrap_or(5)
            .max(1)
    }
}

/// What the browser hears when OpenRouter fails: nothing is lost, try again once the
/// breaker or `Retry-After` allows. The cause itself is logged where it happens and
/// never put into the answer.
impl From<OpenRouterError> for wire::error::AppError {
    fn from(error: OpenRouterError) -> Self {
        wire::error::AppError::UpstreamUnavailable {
            retry_in_secs: error.retry_in_secs(),
        }
    }
}
