//! The server's own background work (no cron, no external scheduler): at start-up it
//! ensures the guardrail of every workshop whose claims have not closed, so no claim
//! waits for it; then, on a timer while any workshop is live, it refreshes usage from
//! OpenRouter and retries keys left unbound. Every instance runs it; the guardrail's and
//! the usage sync's database locks let only one of them do each job.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use app::server::registry::{Registry, Workshop};
use app::server::state::AppState;
use app::server::usage_sync::SyncOutcome;

/// Starts the timer; it runs until the process ends.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        prepare_guardrails(&state, Utc::now()).await;
        let mut ticks = tokio::time::interval(state.usage_sync.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick fires at once; let start-up settle instead.
        ticks.tick().await;
        loop {
            ticks.tick().await;
            tick(&state, Utc::now()).await;
        }
    });
}

async fn prepare_guardrails(state: &AppState, now: DateTime<Utc>) {
    for workshop in state.registry.listed(now) {
        if workshop.claims_close_at <= now {
            continue;
        }
        if let Err(error) = state.minter.prepare(&workshop, now).await {
            // Not fatal: the first claim tries again.
            tracing::warn!(%error, slug = %workshop.slug, "could not prepare the workshop guardrail");
        }
    }
}

async fn tick(state: &AppState, now: DateTime<Utc>) {
    let live = live_workshops(&state.registry, now);
    if live.is_empty() {
        return;
    }
    match state.usage_sync.sync(now.timestamp(), false).await {
        Ok(SyncOutcome::Synced(report)) => {
            tracing::debug!(
                keys = report.rows_updated,
                calls = report.list_calls,
                "usage synced"
            )
        }
        Ok(SyncOutcome::Busy | SyncOutcome::Fresh) => {}
        Err(error) => tracing::warn!(%error, "usage sync failed; the next tick tries again"),
    }
    for workshop in live {
        if let Err(error) = state.minter.bind_unbound(&workshop, now).await {
            tracing::warn!(%error, slug = %workshop.slug, "retrying unbound keys failed");
        }
    }
}

/// Workshops whose keys can be claimed or used: from claims opening to keys expiring.
pub fn live_workshops(registry: &Registry, now: DateTime<Utc>) -> Vec<Arc<Workshop>> {
    registry
        .listed(now)
        .into_iter()
        .filter(|workshop| workshop.claims_open_at <= now && now < workshop.key_expires_at)
        .collect()
}
