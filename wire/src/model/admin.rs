//! What the organiser's pages show: a workshop's figures against its caps, its charts,
//! one page of its attendee table, and the state of its guardrail. Never a plaintext key
//! (a key appears only as OpenRouter's masked label).

use serde::{Deserialize, Serialize};

use super::{Usd, WorkshopSummary, WorkshopTime};

/// `/admin`: the workshops the caller organises, and the server's "now" (UTC seconds)
/// for relative times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub now: i64,
    pub workshops: Vec<AdminWorkshopCard>,
}

/// One workshop on `/admin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminWorkshopCard {
    pub workshop: WorkshopSummary,
    pub figures: AdminFigures,
}

/// A workshop's figures against its caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AdminFigures {
    pub claimed: i64,
    pub places: Option<i64>,
    /// The per-key limits handed out.
    pub committed: Usd,
    /// Spend on the workshop's keys, as of the last sync.
    pub spent: Usd,
    /// The workshop's cap (`limit_usd`).
    pub limit: Usd,
    pub bound: i64,
    /// Keys that work but are not assigned to the guardrail yet.
    pub unbound: i64,
    /// Reservations being minted right now.
    pub preparing: i64,
    /// Reservations whose last mint attempt failed (the server keeps trying).
    pub failed: i64,
    pub disabled: i64,
    /// The last usage figure of any key (UTC seconds).
    pub last_sync: Option<i64>,
}

impl AdminFigures {
    /// Keys in trouble: unbound, or reservations whose mint failed.
    pub fn stuck(&self) -> i64 {
        self.unbound + self.failed
    }
}

/// `/admin/<slug>`'s top half: everything but the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminWorkshop {
    pub workshop: WorkshopSummary,
    pub config: WorkshopConfig,
    pub figures: AdminFigures,
    pub pool: PoolFigures,
    pub charts: AdminCharts,
    /// Demo mode: the "simulate activity" control is offered.
    pub demo_mode: bool,
    /// The server's "now" (UTC seconds), for relative times.
    pub now: i64,
    /// The change mark these figures are as of: the live page reloads when it moves.
    pub mark: ChangeMark,
}

/// The warm key pool: keys minted and bound before attendees arrive, handed out by
/// claims without calling OpenRouter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PoolFigures {
    /// `key_pool: 0` turns it off.
    pub enabled: bool,
    /// Kept filled now: from the lead time before claims open until they close.
    pub filling: bool,
    /// How long before claims open it starts filling, in minutes.
    pub lead_minutes: i64,
    /// Ready keys it keeps now: shrinks with the places that remain.
    pub target: i64,
    pub ready: i64,
    /// Being created or bound.
    pub minting: i64,
    /// Unclaimed keys deleted when the window closed; `None` before the close.
    pub deleted_at_close: Option<i64>,
}

/// The workshop file as loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopConfig {
    pub key_limit: Usd,
    pub limit: Usd,
    pub max_attendees: Option<i64>,
    pub allowed_models: Vec<String>,
    pub allowed_email_domains: Vec<String>,
    pub admins: Vec<String>,
    pub marketing_opt_in: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminCharts {
    /// Claims per interval across the claim window.
    pub claims_over_time: Vec<TimeBucket>,
    /// How many keys have spent how much of their limit, in tenths.
    pub spend_histogram: Vec<i64>,
    /// The biggest spenders first.
    pub top_spenders: Vec<Spender>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeBucket {
    pub starts: WorkshopTime,
    pub claims: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spender {
    pub who: String,
    pub spent: Usd,
    pub limit: Usd,
}

/// The status of a row, as the table shows and filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowStatus {
    Bound,
    Unbound,
    Preparing,
    Failed,
    Disabled,
}

impl RowStatus {
    pub const ALL: [RowStatus; 5] = [
        RowStatus::Bound,
        RowStatus::Unbound,
        RowStatus::Preparing,
        RowStatus::Failed,
        RowStatus::Disabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Bound => "bound",
            RowStatus::Unbound => "unbound",
            RowStatus::Preparing => "preparing",
            RowStatus::Failed => "failed",
            RowStatus::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<RowStatus> {
        RowStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    /// How the table names it.
    pub fn label(self) -> &'static str {
        match self {
            RowStatus::Bound => "Bound",
            RowStatus::Unbound => "Unbound",
            RowStatus::Preparing => "Being prepared",
            RowStatus::Failed => "Reservation failed",
            RowStatus::Disabled => "Disabled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SortBy {
    #[default]
    Newest,
    Oldest,
    MostSpent,
    LeastSpent,
}

impl SortBy {
    pub const ALL: [SortBy; 4] = [
        SortBy::Newest,
        SortBy::Oldest,
        SortBy::MostSpent,
        SortBy::LeastSpent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Newest => "newest",
            SortBy::Oldest => "oldest",
            SortBy::MostSpent => "most-spent",
            SortBy::LeastSpent => "least-spent",
        }
    }

    pub fn parse(text: &str) -> Option<SortBy> {
        SortBy::ALL.into_iter().find(|sort| sort.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            SortBy::Newest => "Claimed, newest first",
            SortBy::Oldest => "Claimed, oldest first",
            SortBy::MostSpent => "Spend, highest first",
            SortBy::LeastSpent => "Spend, lowest first",
        }
    }
}

/// Rows per page of the attendee table.
pub const ROWS_PER_PAGE: i64 = 50;

/// One page of the attendee table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsTable {
    pub rows: Vec<ClaimRow>,
    /// Rows matching the search and filter, on all pages.
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub pages: i64,
    /// The server's "now" (UTC seconds), for "as of" times.
    pub now: i64,
}

/// One attendee's claim as the organiser sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRow {
    /// The row's id in actions: its OpenRouter key name (derived from the user id; not a
    /// secret, and stable).
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub provider: String,
    pub claimed_at: WorkshopTime,
    pub status: RowStatus,
    /// OpenRouter's masked form of the key, when there is one.
    pub key_label: Option<String>,
    pub limit: Usd,
    pub spent: Option<Usd>,
    pub remaining: Option<Usd>,
    /// Why the last mint or binding attempt failed (no secrets).
    pub last_error: Option<String>,
    pub synced_at: Option<i64>,
    /// What the organisers' top-ups added to the key's limit, and each of them, newest
    /// first (the row's details: who, when, how much).
    pub topped_up: Usd,
    pub top_ups: Vec<TopUpRecord>,
}

/// One top-up of one key, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUpRecord {
    pub by: String,
    pub at: WorkshopTime,
    pub added: Usd,
    /// The key's limit after it.
    pub limit_after: Usd,
}

/// What "Top up all keys above 80 % spent" would do, before it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopUpPreview {
    /// What each key would get.
    pub add: Usd,
    /// Keys above the threshold that can be topped up (bound, enabled, not expired).
    pub keys: i64,
    /// Their rows' ids, most spent first: the page tops up exactly these, a few per
    /// call, to show progress.
    pub rows: Vec<String>,
    /// What topping up all of them would commit.
    pub total: Usd,
    /// How many of them the workshop's cap leaves room for.
    pub fitting: i64,
    /// The budget left to commit now.
    pub left: Usd,
}

/// What a bulk top-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkTopUpReport {
    pub topped_up: i64,
    pub added: Usd,
    /// Keys left out because the cap was reached (the run stops there).
    pub left_at_cap: i64,
    /// Keys OpenRouter did not take the new limit for (tried again from their rows).
    pub failed: i64,
}

/// What changed last in a workshop's rows: the admin page polls this (a few bytes) and
/// reloads figures and table only when it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ChangeMark {
    pub rows: i64,
    pub last_update: i64,
    pub last_sync: i64,
    /// Rows by status and spend, folded into one number: changes within the same
    /// second (`last_update` has whole seconds) still move the mark.
    pub digest: i64,
    /// The key pool's size and readiness, folded into one number.
    pub pool: i64,
}

/// The guardrail on OpenRouter against the workshop file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardrailDrift {
    /// OpenRouter's id, once the guardrail exists.
    pub id: Option<String>,
    pub file_models: Vec<String>,
    pub live_models: Option<Vec<String>>,
    pub file_limit: Usd,
    pub live_limit: Option<Usd>,
    /// What differs, in words; empty when they agree.
    pub differences: Vec<String>,
}

/// What "disable all keys" did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisableReport {
    pub disabled: i64,
    pub failed: i64,
}
