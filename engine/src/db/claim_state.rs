//! Where a claim is, with what that state has: [`ClaimState`], decoded once when a row of
//! `workshop_attendance` is read. Which of the row's columns are set is not a second way
//! of saying the state: a row whose columns contradict its `claim_status` (a key without
//! a hash, a bound key without a guardrail, a word that is not a status) fails the read,
//! naming what is wrong, instead of passing for a state it is not in.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};
use wire::model::ClaimStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimState {
    /// The attendee's place is kept; their key is still to be minted. `lease_until`
    /// (UTC seconds): until when a request holds the right to mint it.
    Reserved { lease_until: Option<i64> },
    /// A working key, not (yet) assigned to the workshop guardrail: "unbound".
    Minted { key_hash: String },
    /// The key, assigned to the workshop guardrail.
    Bound {
        key_hash: String,
        guardrail_id: String,
    },
}

impl ClaimState {
    pub fn status(&self) -> ClaimStatus {
        match self {
            ClaimState::Reserved { .. } => ClaimStatus::Reserved,
            ClaimState::Minted { .. } => ClaimStatus::Minted,
            ClaimState::Bound { .. } => ClaimStatus::Bound,
        }
    }

    /// The key's OpenRouter hash, once there is a key.
    pub fn key_hash(&self) -> Option<&str> {
        match self {
            ClaimState::Reserved { .. } => None,
            ClaimState::Minted { key_hash } | ClaimState::Bound { key_hash, .. } => Some(key_hash),
        }
    }

    /// The guardrail the key is assigned to, once it is.
    pub fn guardrail_id(&self) -> Option<&str> {
        match self {
            ClaimState::Bound { guardrail_id, .. } => Some(guardrail_id),
            _ => None,
        }
    }

    /// Whether a request holds the right to mint this reservation at `now` (UTC seconds).
    pub fn is_leased_at(&self, now: i64) -> bool {
        matches!(self, ClaimState::Reserved { lease_until: Some(until) } if *until > now)
    }
}

impl<'r> FromRow<'r, AnyRow> for ClaimState {
    fn from_row(row: &'r AnyRow) -> Result<Self, sqlx::Error> {
        let status: String = row.try_get("claim_status")?;
        let status =
            ClaimStatus::try_from(status).map_err(|error| decode_error("claim_status", error))?;
        let key_hash: Option<String> = row.try_get("or_key_hash")?;
        let guardrail_id: Option<String> = row.try_get("or_guardrail_id")?;
        let missing = |column: &str| {
            decode_error(column, format!("a {} row has no {column}", status.as_str()))
        };
        Ok(match status {
            ClaimStatus::Reserved => ClaimState::Reserved {
                lease_until: row.try_get("mint_lease_until")?,
            },
            ClaimStatus::Minted => ClaimState::Minted {
                key_hash: key_hash.ok_or_else(|| missing("or_key_hash"))?,
            },
            ClaimStatus::Bound => ClaimState::Bound {
                key_hash: key_hash.ok_or_else(|| missing("or_key_hash"))?,
                guardrail_id: guardrail_id.ok_or_else(|| missing("or_guardrail_id"))?,
            },
        })
    }
}

fn decode_error(
    column: &str,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: source.into(),
    }
}
