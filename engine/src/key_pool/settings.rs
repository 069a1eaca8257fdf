//! What a workshop's pool is told (its settings), where it is in its life (its phase),
//! and what it reports (a round's report, the admin page's figures).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::registry::Workshop;

#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// How long before claims open filling starts (`KEY_POOL_LEAD_MINUTES`).
    pub lead: Duration,
    /// Pool keys created at once, at most.
    pub fill_concurrency: usize,
    /// A pool call starts only while more of the client's slots than this are idle, so
    /// claims that mint directly never queue behind the filler.
    pub calls_kept_for_claims: usize,
    /// Keys created before they are bound together in one assignment call.
    pub fill_batch: usize,
    /// Renames in flight at once.
    pub rename_concurrency: usize,
    /// Backoff of the renamer after a failed pass.
    pub rename_first_delay: Duration,
    pub rename_max_delay: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            lead: Duration::from_secs(30 * 60),
            fill_concurrency: 8,
            calls_kept_for_claims: 4,
            fill_batch: 100,
            rename_concurrency: 4,
            rename_first_delay: Duration::from_secs(1),
            rename_max_delay: Duration::from_secs(60),
        }
    }
}

/// Where a workshop's pool is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolPhase {
    /// More than the lead time before claims open: nothing is minted yet.
    NotYet,
    /// From the lead time before opening until claims close: kept at its target.
    Filling,
    /// Claims closed: whatever is left is deleted.
    Closed,
}

pub fn pool_phase(workshop: &Workshop, now: DateTime<Utc>, lead: Duration) -> PoolPhase {
    let lead = chrono::Duration::from_std(lead).unwrap_or(chrono::Duration::zero());
    if now >= workshop.claims_close_at {
        PoolPhase::Closed
    } else if now >= workshop.claims_open_at - lead {
        PoolPhase::Filling
    } else {
        PoolPhase::NotYet
    }
}

/// What one round of upkeep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolReport {
    /// Keys created and stored.
    pub created: usize,
    /// Keys bound to the guardrail (ready from then on).
    pub bound: u64,
    /// Keys taken out of the pool: stale after a changed workshop file, above a lowered
    /// target, or left at the close.
    pub withdrawn: usize,
    /// Unstored pool keys found on OpenRouter and deleted.
    pub leftovers_deleted: usize,
}

/// The pool's figures for the admin page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStatus {
    pub phase_filling: bool,
    /// Ready keys it keeps now (0 when off or outside the window).
    pub target: i64,
    pub ready: i64,
    /// Keys being created (on this instance) or stored but not yet bound.
    pub minting: i64,
    /// Keys deleted when the window closed; `None` until it closes.
    pub deleted_at_close: Option<i64>,
}
