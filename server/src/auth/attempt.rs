//! A sign-in in progress — between the redirect to the provider and its callback — kept
//! in the browser's own cookie, sealed ([`engine::sealing`]): nothing is written on
//! the server for it, so no flood of anonymous sign-in starts can push a real person's
//! attempt out while they are at the provider. The cookie is `__Host-` prefixed,
//! `Secure`, `HttpOnly` and `SameSite=Lax` behind https; the seal makes it unreadable and
//! unforgeable, and binds it to its purpose.

use serde::{Deserialize, Serialize};

use engine::sealing::KeyRing;

/// What the callback needs from the start of the sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempt {
    /// Sent to the provider and returned by it: the callback must carry the same.
    pub state: String,
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: Option<String>,
    pub next_path: String,
    pub created_at: i64,
    /// "Sign in and claim": the workshop to claim at once when the provider sends the
    /// browser back.
    pub claim_slug: Option<String>,
    /// Ticked next to that claim: opt in to the workshop's marketing.
    pub marketing_opt_in: bool,
}

/// What the seal is bound to: a sealed value made for anything else does not open here.
const CONTEXT: &[u8] = b"sign-in attempt cookie";

/// The longest `next` path kept: a cookie must stay well under 4 KB.
const MAX_NEXT_PATH: usize = 1024;

impl LoginAttempt {
    pub fn seal(&self, keys: &KeyRing) -> String {
        let mut attempt = self.clone();
        if attempt.next_path.len() > MAX_NEXT_PATH {
            attempt.next_path = "/".into();
        }
        let json = serde_json::to_vec(&attempt).unwrap_or_default();
        keys.seal(&json, CONTEXT)
    }

    /// The attempt in a cookie value; `None` for anything we did not seal for this.
    pub fn open(sealed: &str, keys: &KeyRing) -> Option<LoginAttempt> {
        let json = keys.open(sealed, CONTEXT).ok()?;
        serde_json::from_slice(&json).ok()
    }

    /// Whether the callback's `state` is this attempt's (compared in constant time).
    pub fn matches_state(&self, returned: &str) -> bool {
        let (ours, theirs) = (self.state.as_bytes(), returned.as_bytes());
        ours.len() == theirs.len()
            && ours
                .iter()
                .zip(theirs)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt() -> LoginAttempt {
        LoginAttempt {
            state: "state-123".into(),
            provider: "google".into(),
            pkce_verifier: "verifier-secret".into(),
            nonce: Some("nonce".into()),
            next_path: "/w/agents".into(),
            created_at: 1_800_000_000,
            claim_slug: Some("agents".into()),
            marketing_opt_in: true,
        }
    }

    #[test]
    fn a_sealed_attempt_comes_back_whole_and_unreadable() {
        let keys = KeyRing::parse(&KeyRing::generate_entry("t")).unwrap();
        let sealed = attempt().seal(&keys);
        assert!(!sealed.contains("verifier-secret") && !sealed.contains("agents"));
        assert!(sealed.len() < 1024, "{} bytes", sealed.len());
        assert_eq!(LoginAttempt::open(&sealed, &keys), Some(attempt()));
        let other_keys = KeyRing::parse(&KeyRing::generate_entry("t")).unwrap();
        assert_eq!(LoginAttempt::open(&sealed, &other_keys), None);
        // Sealed for another purpose with the same keys: refused.
        assert_eq!(LoginAttempt::open(&keys.seal(b"{}", b"other"), &keys), None);
        assert_eq!(LoginAttempt::open("state-123", &keys), None);
    }

    #[test]
    fn the_state_must_match_exactly() {
        let attempt = attempt();
        assert!(attempt.matches_state("state-123"));
        assert!(!attempt.matches_state("state-124"));
        assert!(!attempt.matches_state("state-12"));
        assert!(!attempt.matches_state(""));
    }
}
