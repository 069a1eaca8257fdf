//! Why a sign-in failed. Each cause is logged in full on the server; the browser only
//! gets a short code that the sign-in page turns into a friendly explanation.

use axum::response::{IntoResponse, Redirect, Response};

use wire::model::SignInErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the person declined or cancelled at the provider")]
    Denied,
    #[error("the state parameter did not match this browser's sign-in")]
    StateMismatch,
    #[error("the sign-in took too long or its code was already used: {0}")]
    Expired(String),
    #[error("the provider could not be reached or answered with an error: {0}")]
    ProviderUnavailable(String),
    #[error("the provider's answer failed validation: {0}")]
    InvalidToken(String),
    #[error("the email address is not verified by the provider")]
    UnverifiedEmail,
    #[error("the GitHub account has no verified primary email")]
    NoVerifiedEmail,
    #[error("this way of signing in is not enabled")]
    NotEnabled,
    #[error("internal error: {0}")]
    Internal(String),
}

impl SignInError {
    /// The code the sign-in page explains (one enum for both crates).
    pub fn code(&self) -> SignInErrorCode {
        match self {
            SignInError::Denied => SignInErrorCode::Denied,
            SignInError::StateMismatch => SignInErrorCode::State,
            SignInError::Expired(_) => SignInErrorCode::Expired,
            SignInError::ProviderUnavailable(_) => SignInErrorCode::Provider,
            SignInError::InvalidToken(_) => SignInErrorCode::Invalid,
            SignInError::UnverifiedEmail => SignInErrorCode::Unverified,
            SignInError::NoVerifiedEmail => SignInErrorCode::NoVerifiedEmail,
            SignInError::NotEnabled => SignInErrorCode::NotEnabled,
            SignInError::Internal(_) => SignInErrorCode::Internal,
        }
    }

    /// Logs the cause and sends the browser to the sign-in page with the code.
    pub fn into_redirect(self, provider: &str, next: &str) -> Response {
        // `?` on the text: Debug-escaped, so a cause carrying a line break (text from a
        // provider, a callback parameter) cannot forge a log line.
        let cause = self.to_string();
        tracing::warn!(provider, code = self.code().as_str(), cause = ?cause, "sign-in refused");
        let query = serde_urlencoded::to_string([("error", self.code().as_str()), ("next", next)])
            .unwrap_or_default();
        Redirect::to(&format!("/signin?{query}")).into_response()
    }
}

/// A provider's `error` parameter as it may appear in a log: OAuth error codes are
/// short ASCII words (`access_denied`, `server_error`); anything else becomes `?`.
pub fn loggable_code(value: &str) -> String {
    value
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{loggable_code, SignInError};

    #[test]
    fn a_provider_error_code_cannot_forge_a_log_line() {
        assert_eq!(loggable_code("access_denied"), "access_denied");
        assert_eq!(
            loggable_code("x\n2026-12-02T00:00:00Z INFO signed in user=admin"),
            "x?2026-12-02T00?00?00Z?INFO?signed?in?user?admin"
        );
        assert_eq!(loggable_code(&"a".repeat(500)).len(), 64);
    }

    #[test]
    fn every_error_has_a_code_of_its_own() {
        let all = [
            SignInError::Denied,
            SignInError::StateMismatch,
            SignInError::Expired(String::new()),
            SignInError::ProviderUnavailable(String::new()),
            SignInError::InvalidToken(String::new()),
            SignInError::UnverifiedEmail,
            SignInError::NoVerifiedEmail,
            SignInError::NotEnabled,
            SignInError::Internal(String::new()),
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(SignInError::code).collect();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn causes_stay_on_the_server() {
        let error =
            SignInError::ProviderUnavailable("token request failed: secret-ish detail".into());
        let response = error.into_redirect("google", "/w/x");
        let location = response.headers()["location"].to_str().unwrap();
        assert_eq!(location, "/signin?error=provider&next=%2Fw%2Fx");
    }
}
