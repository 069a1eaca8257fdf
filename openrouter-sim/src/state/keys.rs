//! Key operations: mint, list, read, update, delete, usage. The plaintext exists only
//! inside `create_key`'s answer; the state keeps its SHA-256, which is also the key's id,
//! so `GET /key` can find a key from the bearer token without storing secrets.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{check_amount, page, timestamp, State, StoredKey, KEYS_PAGE_SIZE};
use crate::error::ApiError;
use crate::wire::{self, CreateKeyRequest, UpdateKeyRequest};
use crate::SimKey;

const KEY_PREFIX: &str = "sk-or-v1-";

impl State {
    pub fn create_key(
        &mut self,
        request: CreateKeyRequest,
        now: DateTime<Utc>,
    ) -> Result<wire::CreatedKey, ApiError> {
        if request.name.is_empty() {
            return Err(ApiError::bad_request("name must not be empty"));
        }
        let limit = check_amount("limit", request.limit)?;
        let expires_at = request
            .expires_at
            .as_deref()
            .map(|text| parse_expiry(text, now))
            .transpose()?;
        if request.creator_user_id.as_deref() == Some("") {
            return Err(ApiError::bad_request("creator_user_id must not be empty"));
        }
        self.check_workspace(request.workspace_id.as_deref())?;

        // 256 random bits: a clash would mean a broken random source, not bad luck.
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let plaintext = format!("{KEY_PREFIX}{secret}");
        let hash = hash_of(&plaintext);
        let stored = StoredKey {
            seq: self.next_seq(),
            hash: hash.clone(),
            name: request.name,
            label: label_of(&plaintext),
            disabled: false,
            limit,
            limit_reset: request.limit_reset,
            include_byok_in_limit: request.include_byok_in_limit.unwrap_or(false),
            usage: Default::default(),
            created_at: now,
            updated_at: None,
            expires_at,
            creator_user_id: Some(
                request
                    .creator_user_id
                    .unwrap_or_else(|| self.user_id.clone()),
            ),
            assignment: None,
        };
        let data = self.key_object(&stored, now);
        self.keys.insert(hash, stored);
        Ok(wire::CreatedKey {
            data,
            key: plaintext,
        })
    }

    /// One page of `GET /keys`: newest first, disabled keys only when asked for.
    pub fn list_keys(
        &self,
        offset: u64,
        include_disabled: bool,
        now: DateTime<Utc>,
    ) -> Vec<wire::Key> {
        let visible = self
            .newest_first()
            .filter(|key| include_disabled || !key.disabled);
        page(visible, offset, KEYS_PAGE_SIZE)
            .into_iter()
            .map(|key| self.key_object(key, now))
            .collect()
    }

    pub fn get_key(&self, hash: &str, now: DateTime<Utc>) -> Result<wire::Key, ApiError> {
        let key = self.keys.get(hash).ok_or_else(key_not_found)?;
        Ok(self.key_object(key, now))
    }

    pub fn update_key(
        &mut self,
        hash: &str,
        request: UpdateKeyRequest,
        now: DateTime<Utc>,
    ) -> Result<wire::Key, ApiError> {
        if request.name.as_deref() == Some("") {
            return Err(ApiError::bad_request("name must not be empty"));
        }
        let limit = request
            .limit
            .map(|limit| check_amount("limit", limit))
            .transpose()?;
        let key = self.keys.get_mut(hash).ok_or_else(key_not_found)?;
        if let Some(name) = request.name {
            key.name = name;
        }
        if let Some(disabled) = request.disabled {
            key.disabled = disabled;
        }
        if let Some(limit) = limit {
            key.limit = limit;
        }
        if let Some(limit_reset) = request.limit_reset {
            key.limit_reset = limit_reset;
        }
        if let Some(include) = request.include_byok_in_limit {
            key.include_byok_in_limit = include;
        }
        key.updated_at = Some(now);
        self.get_key(hash, now)
    }

    /// Deleting a key also ends its guardrail assignment.
    pub fn delete_key(&mut self, hash: &str) -> Result<(), ApiError> {
        self.keys.remove(hash).map(|_| ()).ok_or_else(key_not_found)
    }

    /// `GET /key`: the key whose plaintext is `token`. OpenRouter answers unknown and
    /// expired keys alike with the misleading "User not found."; the simulator does too.
    pub fn current_key(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<wire::CurrentKey, ApiError> {
        let user_not_found = || ApiError::Unauthorized("User not found.".to_owned());
        let key = self.keys.get(&hash_of(token)).ok_or_else(user_not_found)?;
        if key.expires_at.is_some_and(|expires_at| expires_at <= now) {
            return Err(user_not_found());
        }
        if key.disabled {
            return Err(ApiError::Unauthorized("API key is disabled".to_owned()));
        }
        let data = self.key_object(key, now);
        Ok(wire::CurrentKey {
            label: data.label,
            limit: data.limit,
            limit_remaining: data.limit_remaining,
            limit_reset: data.limit_reset,
            include_byok_in_limit: data.include_byok_in_limit,
            usage: data.usage,
            usage_daily: data.usage_daily,
            usage_weekly: data.usage_weekly,
            usage_monthly: data.usage_monthly,
            byok_usage: 0.0,
            byok_usage_daily: 0.0,
            byok_usage_weekly: 0.0,
            byok_usage_monthly: 0.0,
            is_free_tier: false,
            is_management_key: false,
            is_provisioning_key: false,
            creator_user_id: data.creator_user_id,
            expires_at: data.expires_at,
            rate_limit: deprecated_rate_limit(),
        })
    }

    /// `GET /key` called with the management key itself.
    pub fn management_key_info(&self, management_key: &str) -> wire::CurrentKey {
        wire::CurrentKey {
            label: label_of(management_key),
            limit: None,
            limit_remaining: None,
            limit_reset: None,
            include_byok_in_limit: false,
            usage: 0.0,
            usage_daily: 0.0,
            usage_weekly: 0.0,
            usage_monthly: 0.0,
            byok_usage: 0.0,
            byok_usage_daily: 0.0,
            byok_usage_weekly: 0.0,
            byok_usage_monthly: 0.0,
            is_free_tier: false,
            is_management_key: true,
            is_provisioning_key: true,
            creator_user_id: Some(self.user_id.clone()),
            expires_at: None,
            rate_limit: deprecated_rate_limit(),
        }
    }

    pub fn add_usage(&mut self, hash: &str, usd: f64, now: DateTime<Utc>) -> bool {
        match self.keys.get_mut(hash) {
            Some(key) if usd.is_finite() => {
                key.usage.add(usd, now);
                true
            }
            _ => false,
        }
    }

    pub fn all_keys(&self, now: DateTime<Utc>) -> Vec<SimKey> {
        self.newest_first()
            .map(|key| self.sim_key_of(key, now))
            .collect()
    }

    pub fn sim_key(&self, hash: &str, now: DateTime<Utc>) -> Option<SimKey> {
        self.keys.get(hash).map(|key| self.sim_key_of(key, now))
    }

    fn sim_key_of(&self, key: &StoredKey, now: DateTime<Utc>) -> SimKey {
        SimKey {
            data: self.key_object(key, now),
            guardrail_id: key
                .assignment
                .as_ref()
                .map(|assignment| assignment.guardrail_id.clone()),
        }
    }

    fn newest_first(&self) -> impl Iterator<Item = &StoredKey> {
        let mut keys: Vec<&StoredKey> = self.keys.values().collect();
        keys.sort_unstable_by_key(|key| std::cmp::Reverse(key.seq));
        keys.into_iter()
    }

    fn key_object(&self, key: &StoredKey, now: DateTime<Utc>) -> wire::Key {
        let usage = key.usage.snapshot(now);
        wire::Key {
            hash: key.hash.clone(),
            name: key.name.clone(),
            label: key.label.clone(),
            disabled: key.disabled,
            limit: key.limit,
            limit_remaining: key
                .limit
                .map(|limit| limit - usage.against(key.limit_reset)),
            limit_reset: key.limit_reset,
            include_byok_in_limit: key.include_byok_in_limit,
            usage: usage.lifetime,
            usage_daily: usage.daily,
            usage_weekly: usage.weekly,
            usage_monthly: usage.monthly,
            byok_usage: 0.0,
            byok_usage_daily: 0.0,
            byok_usage_weekly: 0.0,
            byok_usage_monthly: 0.0,
            created_at: timestamp(key.created_at),
            updated_at: key.updated_at.map(timestamp),
            expires_at: key.expires_at.map(expiry_text),
            creator_user_id: key.creator_user_id.clone(),
            workspace_id: self.workspace_id.clone(),
        }
    }
}

fn key_not_found() -> ApiError {
    ApiError::not_found("API key not found")
}

/// The key's id: SHA-256 of the plaintext in hex.
fn hash_of(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

/// `sk-or-v1-0e6...1c96`: enough to recognise a key, too little to use it.
fn label_of(plaintext: &str) -> String {
    let (prefix, secret) = match plaintext.strip_prefix(KEY_PREFIX) {
        Some(secret) => (KEY_PREFIX, secret),
        None => ("", plaintext),
    };
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 8 {
        return format!("{prefix}...");
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}{head}...{tail}")
}

/// `expires_at` must be a future instant written in UTC with `Z`: OpenRouter rejects
/// other offsets, even `+00:00`, rather than converting them.
fn parse_expiry(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ApiError> {
    if !text.ends_with('Z') {
        return Err(ApiError::bad_request(
            "expires_at must be an ISO 8601 timestamp in UTC (ending in Z); other timezones are rejected",
        ));
    }
    let at = DateTime::parse_from_rfc3339(text)
        .map_err(|error| {
            ApiError::bad_request(format!("expires_at is not an ISO 8601 timestamp: {error}"))
        })?
        .with_timezone(&Utc);
    if at <= now {
        return Err(ApiError::bad_request("expires_at must be in the future"));
    }
    Ok(at)
}

/// Expiry is echoed at the precision it was given (`…:59Z` stays `…:59Z`), so a client
/// comparing strings sees no drift.
fn expiry_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn deprecated_rate_limit() -> wire::RateLimit {
    wire::RateLimit {
        requests: -1,
        interval: "10s".to_owned(),
        note: "This field is deprecated and safe to ignore.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn request(name: &str, expires_at: Option<&str>) -> CreateKeyRequest {
        CreateKeyRequest {
            name: name.to_owned(),
            limit: Some(1.0),
            limit_reset: None,
            expires_at: expires_at.map(str::to_owned),
            include_byok_in_limit: None,
            creator_user_id: None,
            workspace_id: None,
        }
    }

    #[test]
    fn expiry_must_be_future_utc_with_z() {
        assert!(parse_expiry("2027-12-31T23:59:59Z", now()).is_ok());
        assert!(parse_expiry("2027-12-31T23:59:59+00:00", now()).is_err());
        assert!(parse_expiry("2027-12-31T23:59:59+02:00", now()).is_err());
        assert!(parse_expiry("2025-12-31T23:59:59Z", now()).is_err());
        assert!(parse_expiry("tomorrow Z", now()).is_err());
    }

    #[test]
    fn the_plaintext_hashes_to_the_id_and_finds_the_key() {
        let mut state = State::new(now());
        let created = state.create_key(request("k", None), now()).unwrap();
        assert!(created.key.starts_with("sk-or-v1-"));
        assert_eq!(created.key.len(), KEY_PREFIX.len() + 64);
        assert_eq!(created.data.hash, hash_of(&created.key));
        assert!(created.data.label.starts_with("sk-or-v1-"));
        assert!(!created.data.label.contains(&created.key[9..]));
        let current = state.current_key(&created.key, now()).unwrap();
        assert_eq!(current.label, created.data.label);
    }

    #[test]
    fn expired_keys_answer_user_not_found() {
        let mut state = State::new(now());
        let created = state
            .create_key(request("k", Some("2026-03-01T12:00:01Z")), now())
            .unwrap();
        let later: DateTime<Utc> = "2026-03-01T12:00:02Z".parse().unwrap();
        let error = state.current_key(&created.key, later).unwrap_err();
        assert_eq!(error.to_string(), "User not found.");
    }

    #[test]
    fn limit_remaining_goes_negative_when_spend_overshoots() {
        let mut state = State::new(now());
        let created = state.create_key(request("k", None), now()).unwrap();
        assert!(state.add_usage(&created.data.hash, 1.25, now()));
        let key = state.get_key(&created.data.hash, now()).unwrap();
        assert_eq!(key.usage, 1.25);
        assert_eq!(key.limit_remaining, Some(-0.25));
        assert!(!state.add_usage("nope", 1.0, now()));
        assert!(!state.add_usage(&created.data.hash, f64::NAN, now()));
    }
}
