//! The server's own background work (no cron, no external scheduler):
//!
//! - at start-up, the guardrail of every workshop whose claims have not closed is
//!   ensured, so no claim waits for it;
//! - every few seconds, the sweep finishes reservations nobody is finishing (a crashed
//!   instance's, an outage's), so a kept place becomes a key without its attendee
//!   clicking again;
//! - every second, each workshop's warm key pool is tended ([`Minter::tend_pool`]): filled
//!   from its lead time before claims open, emptied once they close (so also at start-up
//!   for workshops that closed while the server was down); now and then the renamer is
//!   woken for handed-out pool keys whose rename failed earlier;
//! - on the usage-sync timer while any workshop is live, usage is copied from
//!   OpenRouter and keys left unbound are retried.
//!
//! Every instance runs all of it; leases in the database let only one of them do each
//! job at a time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use app::server::lease_heartbeat::Heartbeat;
use app::server::mint::ClaimError;
use app::server::openrouter::OpenRouterError;
use app::server::registry::{Registry, Workshop};
use app::server::state::AppState;
use app::server::usage_sync::SyncOutcome;

/// How often the sweep looks for stalled reservations.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(2);
const SWEEP_LEASE: &str = "mint-sweep";
const SWEEP_LEASE_SECONDS: i64 = 20;

/// How often each workshop's key pool is looked after.
pub const POOL_INTERVAL: Duration = Duration::from_secs(1);
/// How often renames left over by failures are tried again.
const RENAME_RETRY_EVERY: u32 = 15;

/// Starts the timers; they run until the process ends.
pub fn spawn(state: AppState) {
    let pools = state.clone();
    tokio::spawn(async move {
        let tending = Arc::new(Mutex::new(HashSet::new()));
        let mut ticks = tokio::time::interval(POOL_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for round in 0_u32.. {
            ticks.tick().await;
            tend_pools(&pools, &tending);
            if round % RENAME_RETRY_EVERY == 0 {
                pools.minter.rename_soon();
            }
        }
    });
    let sweeper = state.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            sweep(&sweeper).await;
        }
    });
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

/// Starts a round of upkeep for every workshop whose previous round has finished: a
/// slow OpenRouter holds up only its own workshop's pool.
fn tend_pools(state: &AppState, tending: &Arc<Mutex<HashSet<String>>>) {
    let now = state.clock.now();
    for workshop in state.registry.all() {
        let fresh = tending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(workshop.slug.clone());
        if !fresh {
            continue;
        }
        let (minter, tending) = (state.minter.clone(), tending.clone());
        tokio::spawn(async move {
            match minter.tend_pool(&workshop, now).await {
                Ok(_) => {}
                // The breaker already said so once; no line per workshop and second.
                Err(ClaimError::OpenRouter(OpenRouterError::Unavailable { .. })) => {}
                Err(error) => {
                    tracing::warn!(%error, slug = %workshop.slug, "the key pool could not be tended; the next round tries again")
                }
            }
            tending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&workshop.slug);
        });
    }
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

/// One sweep pass, if no other instance is sweeping.
async fn sweep(state: &AppState) {
    let now = Utc::now().timestamp();
    let lease = state
        .database
        .take_background_lease(SWEEP_LEASE, &state.instance, now, now + SWEEP_LEASE_SECONDS)
        .await;
    let lease = match lease {
        Ok(Some(lease)) => lease,
        Ok(None) => return,
        Err(error) => {
            tracing::warn!(%error, "the sweep could not take its lease");
            return;
        }
    };
    let heartbeat = Heartbeat::keep_background_lease(
        state.database.clone(),
        lease.clone(),
        Duration::from_secs(5),
        Duration::from_secs(SWEEP_LEASE_SECONDS as u64),
    );
    let outcome = state.minter.sweep_stalled(&state.registry).await;
    drop(heartbeat);
    if let Err(error) = &outcome {
        tracing::warn!(%error, "the sweep failed; the next pass tries again");
    }
    let done = outcome.is_ok();
    if let Err(error) = state
        .database
        .finish_background_lease(&lease, done, Utc::now().timestamp())
        .await
    {
        tracing::warn!(%error, "the sweep could not hand back its lease; it expires on its own");
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
