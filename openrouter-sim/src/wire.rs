//! The JSON shapes of the vendored OpenRouter spec (`spec/openrouter-openapi.yaml`),
//! field for field. Responses are public (tests and the demo read them); request bodies
//! are the simulator's own business.
//!
//! Request structs ignore unknown properties on purpose: that is how the real API treats
//! `guardrail_ids` on `POST /keys` or `expires_at` on `PATCH /keys/{hash}`.

use serde::{Deserialize, Deserializer, Serialize};

/// `{"data": ...}`, the envelope of most responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Data<T> {
    pub data: T,
}

/// A list with its total size: `GET /guardrails` and the assignment listings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub total_count: u64,
}

/// `POST /keys` → 201. The one response that carries a key's plaintext.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub data: Key,
    /// `sk-or-v1-…`, returned this one time only. It has to be serialised: handing it
    /// over is the point of this response.
    pub key: String,
}

/// `{"deleted": true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    pub deleted: bool,
}

/// A reset period: a key's `limit_reset` or a guardrail's `reset_interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Daily,
    Weekly,
    Monthly,
}

/// The key object of `GET /keys`, `GET/PATCH /keys/{hash}` and `POST /keys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Key {
    /// The key's id: SHA-256 of its plaintext, 64 hex digits.
    pub hash: String,
    pub name: String,
    /// A masked form of the plaintext, e.g. `sk-or-v1-0e6...1c96`.
    pub label: String,
    pub disabled: bool,
    pub limit: Option<f64>,
    /// `limit` minus the usage of the current reset period; negative when spend overshot.
    pub limit_remaining: Option<f64>,
    pub limit_reset: Option<Interval>,
    pub include_byok_in_limit: bool,
    /// Lifetime usage in USD.
    pub usage: f64,
    pub usage_daily: f64,
    pub usage_weekly: f64,
    pub usage_monthly: f64,
    pub byok_usage: f64,
    pub byok_usage_daily: f64,
    pub byok_usage_weekly: f64,
    pub byok_usage_monthly: f64,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub expires_at: Option<String>,
    pub creator_user_id: Option<String>,
    pub workspace_id: String,
}

/// `GET /key`: the key that made the call, seen from itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentKey {
    pub label: String,
    pub limit: Option<f64>,
    pub limit_remaining: Option<f64>,
    pub limit_reset: Option<Interval>,
    pub include_byok_in_limit: bool,
    pub usage: f64,
    pub usage_daily: f64,
    pub usage_weekly: f64,
    pub usage_monthly: f64,
    pub byok_usage: f64,
    pub byok_usage_daily: f64,
    pub byok_usage_weekly: f64,
    pub byok_usage_monthly: f64,
    pub is_free_tier: bool,
    pub is_management_key: bool,
    pub is_provisioning_key: bool,
    pub creator_user_id: Option<String>,
    pub expires_at: Option<String>,
    pub rate_limit: RateLimit,
}

/// Deprecated upstream but still required in `GET /key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    pub requests: i64,
    pub interval: String,
    pub note: String,
}

/// A guardrail as the API returns it. Model lists hold canonical slugs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Guardrail {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub limit_usd: Option<f64>,
    pub reset_interval: Option<Interval>,
    pub allowed_models: Option<Vec<String>>,
    pub allowed_providers: Option<Vec<String>>,
    pub ignored_models: Option<Vec<String>>,
    pub ignored_providers: Option<Vec<String>>,
    pub content_filter_builtins: Option<Vec<BuiltinFilter>>,
    pub content_filters: Option<Vec<ContentFilter>>,
    pub enable_free_model_publication: Option<bool>,
    pub enable_free_model_training: Option<bool>,
    pub enable_paid_model_training: Option<bool>,
    /// Deprecated: always `null` in responses, its value lives in the per-provider fields.
    pub enforce_zdr: Option<bool>,
    pub enforce_zdr_anthropic: Option<bool>,
    pub enforce_zdr_google: Option<bool>,
    pub enforce_zdr_openai: Option<bool>,
    pub enforce_zdr_other: Option<bool>,
    pub enforce_zdr_xai: Option<bool>,
    pub include_byok_in_budgets: bool,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub workspace_id: Option<String>,
}

/// One of OpenRouter's builtin content filters (PII detectors, prompt injection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuiltinFilter {
    pub slug: BuiltinFilterSlug,
    pub action: FilterAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_scope: Option<ScanScope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuiltinFilterSlug {
    Email,
    Phone,
    Ssn,
    CreditCard,
    IpAddress,
    PersonName,
    Address,
    RegexPromptInjection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterAction {
    Redact,
    Block,
    Flag,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanScope {
    UserOnly,
    AllMessages,
}

/// A custom regex content filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentFilter {
    pub pattern: String,
    pub action: FilterAction,
    #[serde(default)]
    pub label: Option<String>,
}

/// One key's assignment to a guardrail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyAssignment {
    pub id: String,
    pub key_hash: String,
    pub guardrail_id: String,
    pub key_name: String,
    pub key_label: String,
    pub assigned_by: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignedCount {
    pub assigned_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnassignedCount {
    pub unassigned_count: u64,
}

/// `{"error": {"code": 401, "message": "..."}}`: every error, whatever the status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorData {
    pub code: u16,
    pub message: String,
}

/// A property that may be absent (`None`), explicitly `null` (`Some(None)`) or set.
/// PATCH bodies need the difference: absent leaves a field alone, `null` clears it.
pub(crate) type Field<T> = Option<Option<T>>;

/// With `#[serde(default)]`, turns a present property into `Some(..)`, `null` included.
fn present<'de, D, T>(deserializer: D) -> Result<Field<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// `POST /keys`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateKeyRequest {
    pub name: String,
    #[serde(default)]
    pub limit: Option<f64>,
    #[serde(default)]
    pub limit_reset: Option<Interval>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub include_byok_in_limit: Option<bool>,
    #[serde(default)]
    pub creator_user_id: Option<String>,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

/// `PATCH /keys/{hash}`. There is no `expires_at`: it cannot change after creation.
#[derive(Debug, Deserialize)]
pub(crate) struct UpdateKeyRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub limit: Field<f64>,
    #[serde(default, deserialize_with = "present")]
    pub limit_reset: Field<Interval>,
    #[serde(default)]
    pub include_byok_in_limit: Option<bool>,
}

/// `POST /guardrails` and `PATCH /guardrails/{id}`: one shape, since a create is a patch
/// of an empty guardrail. Only create requires `name` and reads `workspace_id`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct GuardrailRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub description: Field<String>,
    #[serde(default, deserialize_with = "present")]
    pub limit_usd: Field<f64>,
    #[serde(default, deserialize_with = "present")]
    pub reset_interval: Field<Interval>,
    #[serde(default, deserialize_with = "present")]
    pub allowed_models: Field<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub allowed_providers: Field<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub ignored_models: Field<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub ignored_providers: Field<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub content_filter_builtins: Field<Vec<BuiltinFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub content_filters: Field<Vec<ContentFilter>>,
    #[serde(default, deserialize_with = "present")]
    pub enable_free_model_publication: Field<bool>,
    #[serde(default, deserialize_with = "present")]
    pub enable_free_model_training: Field<bool>,
    #[serde(default, deserialize_with = "present")]
    pub enable_paid_model_training: Field<bool>,
    #[serde(default)]
    pub enforce_zdr: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub enforce_zdr_anthropic: Field<bool>,
    #[serde(default, deserialize_with = "present")]
    pub enforce_zdr_google: Field<bool>,
    #[serde(default, deserialize_with = "present")]
    pub enforce_zdr_openai: Field<bool>,
    #[serde(default, deserialize_with = "present")]
    pub enforce_zdr_other: Field<bool>,
    #[serde(default, deserialize_with = "present")]
    pub enforce_zdr_xai: Field<bool>,
    #[serde(default)]
    pub include_byok_in_budgets: Option<bool>,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

/// `POST /guardrails/{id}/assignments/keys` and `.../remove`.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyHashesRequest {
    pub key_hashes: Vec<String>,
}

/// Query of `GET /keys`.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyListQuery {
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub include_disabled: Option<String>,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

/// Query of the guardrail and assignment listings.
#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub workspace_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_fields_tell_absent_from_null() {
        let absent: UpdateKeyRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.limit, None);
        let null: UpdateKeyRequest = serde_json::from_str(r#"{"limit": null}"#).unwrap();
        assert_eq!(null.limit, Some(None));
        let set: UpdateKeyRequest = serde_json::from_str(r#"{"limit": 2.5}"#).unwrap();
        assert_eq!(set.limit, Some(Some(2.5)));
    }

    #[test]
    fn unknown_properties_are_ignored() {
        let request: CreateKeyRequest =
            serde_json::from_str(r#"{"name": "k", "guardrail_ids": ["g"]}"#).unwrap();
        assert_eq!(request.name, "k");
    }
}
