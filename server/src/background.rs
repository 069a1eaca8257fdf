//! The server's own timer (no cron, no external scheduler): while any workshop is live,
//! it refreshes usage from OpenRouter and retries keys left unbound. Every instance runs
//! it; the usage sync's database lease lets only one of them sync at a time.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use app::server::registry::{Registry, Workshop};
use app::server::state::AppState;
use app::server::usage_sync::SyncOutcome;

/// Starts the timer; it runs until the process ends.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
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
