//! The simulated account in memory: one workspace, its keys, guardrails and assignments.
//! Plain data and synchronous operations, no HTTP: handlers lock it, call one operation
//! and unlock. Every operation validates before it writes, so a rejected call leaves no
//! trace. Keys and guardrails carry a sequence number because timestamps can tie.

mod assignments;
mod guardrails;
mod keys;

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};

use super::error::ApiError;
use super::usage::Usage;
use super::wire::{self, Interval};

/// Keys per page of `GET /keys`, as on OpenRouter.
pub(crate) const KEYS_PAGE_SIZE: u64 = 100;

pub(crate) struct State {
    workspace_id: String,
    /// Who the management key belongs to: the creator of keys and of assignments.
    user_id: String,
    default_guardrail_id: String,
    next_seq: u64,
    keys: HashMap<String, StoredKey>,
    guardrails: HashMap<String, StoredGuardrail>,
}

struct StoredKey {
    seq: u64,
    hash: String,
    name: String,
    label: String,
    disabled: bool,
    limit: Option<f64>,
    limit_reset: Option<Interval>,
    include_byok_in_limit: bool,
    usage: Usage,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    creator_user_id: Option<String>,
    /// At most one guardrail per key, so the assignment lives on the key.
    assignment: Option<Assignment>,
}

struct Assignment {
    seq: u64,
    id: String,
    guardrail_id: String,
    created_at: DateTime<Utc>,
}

struct StoredGuardrail {
    seq: u64,
    data: wire::Guardrail,
}

impl State {
    pub fn new(now: DateTime<Utc>) -> Self {
        let workspace_id = new_id();
        let mut state = State {
            user_id: format!("user_{}", &hex::encode(rand::random::<[u8; 16]>())[..26]),
            default_guardrail_id: String::new(),
            next_seq: 0,
            keys: HashMap::new(),
            guardrails: HashMap::new(),
            workspace_id,
        };
        state.default_guardrail_id = state.insert_default_guardrail(now);
        state
    }

    pub fn workspace_id(&self) -> &str {
        &self.workspace_id
    }

    fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Callers may name the workspace; it must be the only one there is.
    pub fn check_workspace(&self, workspace_id: Option<&str>) -> Result<(), ApiError> {
        match workspace_id {
            Some(id) if id != self.workspace_id => {
                Err(ApiError::bad_request(format!("Workspace {id} not found")))
            }
            _ => Ok(()),
        }
    }
}

/// A fresh random id, like the API's guardrail and workspace ids.
fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// How the simulator writes timestamps: UTC, `Z`, milliseconds.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `offset`/`limit` over an already ordered list.
fn page<T>(items: impl Iterator<Item = T>, offset: u64, limit: u64) -> Vec<T> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    items.skip(offset).take(limit).collect()
}

/// `limit`/`offset` query values of the guardrail and assignment listings.
pub(crate) fn page_bounds(offset: Option<u64>, limit: Option<u64>) -> Result<(u64, u64), ApiError> {
    let limit = limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 100"));
    }
    Ok((offset.unwrap_or(0), limit))
}

/// USD amounts: a number, not negative.
fn check_amount(field: &str, value: Option<f64>) -> Result<Option<f64>, ApiError> {
    match value {
        Some(amount) if !amount.is_finite() || amount < 0.0 => Err(ApiError::bad_request(format!(
            "{field} must be a non-negative number"
        ))),
        _ => Ok(value),
    }
}
