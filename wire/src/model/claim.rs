//! A claim as the pages see it: the attendee's own key, and the organiser's view of every
//! row (which never carries a key).

use serde::{Deserialize, Serialize};

use super::{Usd, WorkshopTime};

/// Where a claim stands. Serialised as the same lowercase words the database stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimStatus {
    /// The row exists but no key is stored yet (mint pending, failed or interrupted).
    Reserved,
    /// The key is stored but not yet assigned to the workshop guardrail ("unbound").
    Minted,
    /// The key is stored and assigned to the guardrail.
    Bound,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 3] = [
        ClaimStatus::Reserved,
        ClaimStatus::Minted,
        ClaimStatus::Bound,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Reserved => "reserved",
            ClaimStatus::Minted => "minted",
            ClaimStatus::Bound => "bound",
        }
    }

    pub fn parse(text: &str) -> Option<ClaimStatus> {
        ClaimStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// A stored status that is none of ours (the database's CHECK forbids it; a row written
/// by something else, or a future version, could still carry one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown claim status {0:?}")]
pub struct UnknownClaimStatus(pub String);

/// How a row's `claim_status` column is decoded: once, when the row is read, and an
/// unknown word is an error rather than quietly read as `Reserved`.
impl TryFrom<String> for ClaimStatus {
    type Error = UnknownClaimStatus;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        ClaimStatus::parse(&text).ok_or(UnknownClaimStatus(text))
    }
}

/// The caller's own key, as the claim page shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyKey {
    /// The plaintext key: shown only to its owner.
    pub key: String,
    /// OpenRouter's masked form, safe to show anywhere.
    pub label: String,
    /// `false` while the key is not yet assigned to the workshop guardrail (it works,
    /// and the assignment is retried automatically).
    pub bound: bool,
    pub limit: Usd,
    /// Spend as of `usage_synced_at` (UTC unix seconds); `None` before the first sync.
    pub usage: Option<Usd>,
    pub usage_synced_at: Option<i64>,
    /// When the key stops working, shown like the page's other times.
    pub expires: WorkshopTime,
    pub claimed_at: i64,
    /// What OpenRouter has left of the limit, as of the last sync (can be negative).
    pub remaining: Option<Usd>,
    /// The organiser disabled the key on OpenRouter (as of the last sync).
    pub disabled: bool,
    /// The key's expiry has passed.
    pub expired: bool,
    /// What the organisers added to the key's limit since it was claimed.
    pub topped_up: Usd,
}

impl MyKey {
    /// `sk-or-v1-abcd…wxyz`: enough to recognise the key, not enough to use it; what a
    /// shared screen or a projector may show.
    pub fn masked(&self) -> String {
        let key = &self.key;
        let chars: Vec<char> = key.chars().collect();
        if chars.len() <= 20 {
            return "•".repeat(chars.len().min(12));
        }
        let head: String = chars[..13].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }

    /// Nothing is left to spend (as of the last sync).
    pub fn budget_used_up(&self) -> bool {
        self.remaining.is_some_and(|left| left.micros() <= 0)
    }
}

impl std::fmt::Debug for MyKey {
    /// Everything but the key itself: debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MyKey")
            .field("key", &"[redacted]")
            .field("label", &self.label)
            .field("bound", &self.bound)
            .field("limit", &self.limit)
            .field("usage", &self.usage)
            .field("usage_synced_at", &self.usage_synced_at)
            .field("expires", &self.expires)
            .field("claimed_at", &self.claimed_at)
            .field("remaining", &self.remaining)
            .field("disabled", &self.disabled)
            .field("expired", &self.expired)
            .finish()
    }
}

/// One attendee's claim as the admin page shows it. Never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimOverview {
    pub email: String,
    pub status: ClaimStatus,
    pub key_label: Option<String>,
    pub limit: Usd,
    pub usage: Option<Usd>,
    pub usage_synced_at: Option<i64>,
    pub claimed_at: i64,
    /// Why the last mint or binding attempt failed (no secrets).
    pub last_error: Option<String>,
}

/// What "retry all unbound" achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryReport {
    pub bound: i64,
    pub still_unbound: i64,
}

/// What "sync now" did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncNowOutcome {
    Synced {
        keys_updated: i64,
        list_calls: i64,
    },
    /// Another server instance is syncing at this moment; figures update when it ends.
    AlreadyRunning,
    /// A sync ended moments ago (within the cooldown); its figures are the ones shown.
    Recent {
        synced_secs_ago: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_serialise_to_the_words_the_database_stores() {
        for status in ClaimStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(ClaimStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ClaimStatus::parse("bogus"), None);
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = MyKey {
            key: "sk-or-v1-topsecret".into(),
            label: "sk-or-v1-top...cret".into(),
            bound: true,
            limit: Usd::from_micros(1),
            usage: None,
            usage_synced_at: None,
            expires: WorkshopTime {
                utc: String::new(),
                unix: 0,
                in_workshop_zone: String::new(),
                workshop_offset_secs: 0,
            },
            claimed_at: 0,
            remaining: None,
            disabled: false,
            expired: false,
            topped_up: Usd::ZERO,
        };
        assert!(!format!("{key:?}").contains("topsecret"));
    }

    #[test]
    fn the_masked_key_shows_the_ends_only() {
        let key = MyKey {
            key: "sk-or-v1-0123456789abcdef0123456789abcdef".into(),
            label: String::new(),
            bound: true,
            limit: Usd::from_micros(1),
            usage: None,
            usage_synced_at: None,
            expires: WorkshopTime {
                utc: String::new(),
                unix: 0,
                in_workshop_zone: String::new(),
                workshop_offset_secs: 0,
            },
            claimed_at: 0,
            remaining: Some(Usd::ZERO),
            disabled: false,
            expired: false,
            topped_up: Usd::ZERO,
        };
        assert_eq!(key.masked(), "sk-or-v1-0123…cdef");
        assert!(key.budget_used_up());
    }
}
