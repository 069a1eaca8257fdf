//! Why a sign-in was refused, as the short code the auth routes put in
//! `/signin?error=<code>` and the sign-in page explains. One enum for both sides, so a
//! code cannot be added to one crate and forgotten in the other.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignInErrorCode {
    Denied,
    State,
    Expired,
    Provider,
    Invalid,
    Unverified,
    NoVerifiedEmail,
    NotEnabled,
    Internal,
}

impl SignInErrorCode {
    pub const ALL: [SignInErrorCode; 9] = [
        SignInErrorCode::Denied,
        SignInErrorCode::State,
        SignInErrorCode::Expired,
        SignInErrorCode::Provider,
        SignInErrorCode::Invalid,
        SignInErrorCode::Unverified,
        SignInErrorCode::NoVerifiedEmail,
        SignInErrorCode::NotEnabled,
        SignInErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignInErrorCode::Denied => "denied",
            SignInErrorCode::State => "state",
            SignInErrorCode::Expired => "expired",
            SignInErrorCode::Provider => "provider",
            SignInErrorCode::Invalid => "invalid",
            SignInErrorCode::Unverified => "unverified",
            SignInErrorCode::NoVerifiedEmail => "no-verified-email",
            SignInErrorCode::NotEnabled => "not-enabled",
            SignInErrorCode::Internal => "internal",
        }
    }

    pub fn parse(code: &str) -> Option<SignInErrorCode> {
        SignInErrorCode::ALL
            .into_iter()
            .find(|known| known.as_str() == code)
    }

    /// The plain explanation the sign-in page shows, with what to do next.
    pub fn explanation(self) -> &'static str {
        match self {
            SignInErrorCode::Denied => "Sign-in was cancelled at the provider, so we did not get your email address. Try again when you are ready.",
            SignInErrorCode::State => "That sign-in link did not belong to this browser or was already used. Please start again from this page.",
            SignInErrorCode::Expired => "The sign-in took too long or was already completed. Please start again.",
            SignInErrorCode::Provider => "The sign-in provider could not be reached just now. Please try again in a minute, or use the other provider.",
            SignInErrorCode::Invalid => "The provider's answer could not be verified, so we did not sign you in. Please try again.",
            SignInErrorCode::Unverified => "Your Google account's email address is not verified. Verify it with Google, then sign in again.",
            SignInErrorCode::NoVerifiedEmail => "Your GitHub account has no verified primary email address. Add and verify one under GitHub → Settings → Emails, make it primary, then sign in again.",
            SignInErrorCode::NotEnabled => "That way of signing in is not enabled here.",
            SignInErrorCode::Internal => "Sign-in did not work because of a problem on our side. It has been logged; please try again.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SignInErrorCode;

    #[test]
    fn every_code_round_trips_and_has_its_own_explanation() {
        let mut seen = std::collections::HashSet::new();
        for code in SignInErrorCode::ALL {
            assert_eq!(SignInErrorCode::parse(code.as_str()), Some(code));
            assert!(seen.insert(code.explanation()), "{code:?} shares its text");
        }
        assert_eq!(SignInErrorCode::parse("nope"), None);
    }
}
