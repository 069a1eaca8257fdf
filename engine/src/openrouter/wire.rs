//! The JSON the client sends and reads, after OpenRouter's spec (the project's copy:
//! `openrouter-sim/spec/openrouter-openapi.yaml`). Only the fields the minter uses are
//! read; unknown fields are ignored so OpenRouter can add to its responses freely.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

#[derive(Debug, Deserialize)]
pub(super) struct Data<T> {
    pub data: T,
}

#[derive(Debug, Deserialize)]
pub(super) struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// A key as `GET /keys` and friends describe it. Never the plaintext.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Key {
    /// The key's id on OpenRouter (SHA-256 of the plaintext).
    pub hash: String,
    pub name: String,
    /// A masked form of the key, safe to show.
    pub label: String,
    pub disabled: bool,
    pub limit: Option<f64>,
    /// Can go negative when in-flight requests overshoot; clamp for display.
    pub limit_remaining: Option<f64>,
    /// Lifetime spend in USD.
    pub usage: f64,
    pub created_at: String,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// `POST /keys`. No guardrail field: OpenRouter ignores one (keys are assigned after).
#[derive(Debug, Clone, Serialize)]
pub struct NewKey {
    pub name: String,
    pub limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_reset: Option<String>,
    /// UTC only, `…Z`: OpenRouter refuses other offsets. See [`utc_timestamp`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// The answer to `POST /keys`: the key, and its plaintext this one time.
#[derive(Debug)]
pub struct CreatedKey {
    pub key: Key,
    pub plaintext: Secret,
}

#[derive(Debug, Deserialize)]
pub(super) struct CreatedKeyWire {
    pub data: Key,
    /// Wrapped as it is read: the plaintext never exists here as a printable string.
    pub key: Secret,
}

/// `PATCH /keys/{hash}`: only the fields set are sent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct KeyUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Guardrail {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub limit_usd: Option<f64>,
    #[serde(default)]
    pub reset_interval: Option<String>,
    /// Canonical (dated) slugs, even when short ones were sent.
    #[serde(default)]
    pub allowed_models: Option<Vec<String>>,
    /// ISO 8601; the oldest of several same-named guardrails is the one adopted.
    pub created_at: String,
}

/// `POST /guardrails` and `PATCH /guardrails/{id}` (arrays replace wholesale).
#[derive(Debug, Clone, Serialize)]
pub struct GuardrailSettings {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Sent together with `reset_interval`, or neither.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_usd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_interval: Option<String>,
    pub allowed_models: Vec<String>,
}

/// One page of guardrails with the total OpenRouter reports.
#[derive(Debug, Clone)]
pub struct GuardrailPage {
    pub guardrails: Vec<Guardrail>,
    pub total_count: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Assignment {
    pub key_hash: String,
    pub guardrail_id: String,
    pub key_name: String,
}

#[derive(Debug, Serialize)]
pub(super) struct KeyHashes<'a> {
    pub key_hashes: &'a [String],
}

#[derive(Debug, Deserialize)]
pub(super) struct Assigned {
    pub assigned_count: u64,
}

#[derive(Debug, Deserialize)]
pub(super) struct Unassigned {
    pub unassigned_count: u64,
}

#[derive(Debug, Deserialize)]
pub(super) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub(super) struct ErrorDetail {
    pub message: String,
}

/// `2026-06-01T18:00:00Z`: the one timestamp form `expires_at` accepts.
pub fn utc_timestamp(unix_seconds: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .map(|time| time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}
