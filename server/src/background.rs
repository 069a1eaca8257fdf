//! The server's own background work (no cron, no external scheduler):
//!
//! - at start-up, the guardrail of every workshop whose claims have not closed is
//!   ensured, so no claim waits for it;
//! - every few seconds, the sweep finishes reservations nobody is finishing (a crashed
//!   instance's, an outage's), so a kept place becomes a key without its attendee
//!   clicking again, and settles top-ups whose OpenRouter answer was lost;
//! - every second, each workshop's warm key pool is tended ([`KeyPool::tend`](engine::key_pool::KeyPool::tend)): filled
//!   from its lead time before claims open, emptied once they close (so also at start-up
//!   for workshops that closed while the server was down); now and then the renamer is
//!   woken for handed-out pool keys whose rename failed earlier;
//! - on the usage-sync timer while any workshop is live, usage is copied from
//!   OpenRouter and keys left unbound are retried;
//! - hourly, with `KEY_RETENTION_DAYS`, stored keys that long past their expiry are
//!   erased.
//!
//! Every instance runs all of it; leases in the database let only one of them do each
//! job at a time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use engine::key_pool::PoolError;
use engine::leases::Finished;
use engine::openrouter::OpenRouterError;
use engine::registry::{Registry, Workshop};
use engine::state::AppState;
use engine::usage_sync::SyncOutcome;

/// How often the sweep looks for stalled reservations.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(2);
const SWEEP_LEASE: &str = "mint-sweep";
/// How long the sweep's lease lasts without its holder's heartbeat.
const SWEEP_LEASE_FOR: Duration = Duration::from_secs(20);

/// How often each workshop's key pool is looked after.
pub const POOL_INTERVAL: Duration = Duration::from_secs(1);
/// How often renames left over by failures are tried again.
const RENAME_RETRY_EVERY: u32 = 15;

/// The running background work: its loops and the rounds they start.
pub struct Background {
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Background {
    /// Stops the loops at their next pause and waits up to `timeout` for rounds under
    /// way (a pool's fill, a sweep's mints). `false` if some did not end in time.
    pub async fn stop(self, timeout: Duration) -> bool {
        self.stop.cancel();
        self.tasks.close();
        tokio::time::timeout(timeout, self.tasks.wait())
            .await
            .is_ok()
    }
}

/// Starts the timers; they run until [`Background::stop`]. Each is supervised: a panic
/// is logged and its loop starts again, so one bad round never stops the pools, the
/// sweep or the usage sync for the rest of the process's life.
pub fn spawn(state: AppState, key_retention: Option<Duration>) -> Background {
    let background = Background {
        stop: CancellationToken::new(),
        tasks: TaskTracker::new(),
    };
    let (stop, tasks) = (&background.stop, &background.tasks);
    let pools = state.clone();
    let rounds = tasks.clone();
    supervised("key pools", stop, tasks, move || {
        let (pools, rounds) = (pools.clone(), rounds.clone());
        async move {
            let tending = Arc::new(Mutex::new(HashSet::new()));
            let mut ticks = tokio::time::interval(POOL_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for round in 0_u32.. {
                ticks.tick().await;
                tend_pools(&pools, &tending, &rounds);
                if round % RENAME_RETRY_EVERY == 0 {
                    pools.minter.pool().rename_soon();
                }
            }
        }
    });
    let sweeper = state.clone();
    supervised("sweep", stop, tasks, move || {
        let sweeper = sweeper.clone();
        async move {
            let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                sweep(&sweeper).await;
            }
        }
    });
    if let Some(retention) = key_retention {
        let keeper = state.clone();
        supervised("key retention", stop, tasks, move || {
            let keeper = keeper.clone();
            async move {
                let mut ticks = tokio::time::interval(RETENTION_INTERVAL);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    erase_expired_keys(&keeper, retention).await;
                }
            }
        });
    }
    let prepared = Arc::new(std::sync::atomic::AtomicBool::new(false));
    supervised("usage sync", stop, tasks, move || {
        let (state, prepared) = (state.clone(), prepared.clone());
        async move {
            if !prepared.swap(true, std::sync::atomic::Ordering::Relaxed) {
                prepare_guardrails(&state, Utc::now()).await;
            }
            let mut ticks = tokio::time::interval(state.usage_sync.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first tick fires at once; let start-up settle instead.
            ticks.tick().await;
            loop {
                ticks.tick().await;
                tick(&state, Utc::now()).await;
            }
        }
    });
    background
}

/// How long a loop that panicked waits before it starts again: long enough not to spin
/// on a panic that happens every time, short enough that nobody notices a gap.
pub const RESTART_AFTER_PANIC: Duration = Duration::from_secs(1);

/// Runs the loop `run` makes in a task of its own (on `tasks`), and makes it again
/// whenever it panics (logged as an error with the loop's name), until `stop` is
/// cancelled: the loop is then dropped at its next pause. Returns at once.
pub fn supervised<Make, Loop>(
    name: &'static str,
    stop: &CancellationToken,
    tasks: &TaskTracker,
    mut run: Make,
) where
    Make: FnMut() -> Loop + Send + 'static,
    Loop: std::future::Future<Output = ()> + Send + 'static,
{
    let stop = stop.clone();
    tasks.spawn(async move {
        loop {
            let looping = tokio::spawn(run());
            let abort = looping.abort_handle();
            let ended = tokio::select! {
                ended = looping => ended,
                _ = stop.cancelled() => {
                    abort.abort();
                    return;
                }
            };
            match ended {
                Ok(()) => return,
                Err(error) if error.is_panic() => {
                    let panic = error.into_panic();
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|text| text.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(
                        background_loop = name,
                        panic = ?message,
                        "a background loop panicked; it starts again"
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(RESTART_AFTER_PANIC) => {}
                        _ = stop.cancelled() => return,
                    }
                }
                // Cancelled: the runtime is shutting down.
                Err(_) => return,
            }
        }
    });
}

/// Marks a workshop as being tended until dropped, also when its round panics.
struct Tending {
    slug: String,
    tending: Arc<Mutex<HashSet<String>>>,
}

impl Drop for Tending {
    fn drop(&mut self) {
        self.tending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.slug);
    }
}

/// Starts a round of upkeep for every workshop whose previous round has finished: a
/// slow OpenRouter holds up only its own workshop's pool.
fn tend_pools(state: &AppState, tending: &Arc<Mutex<HashSet<String>>>, rounds: &TaskTracker) {
    let now = state.clock.now();
    for workshop in state.registry.all() {
        let fresh = tending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(workshop.slug.clone());
        if !fresh {
            continue;
        }
        let round = Tending {
            slug: workshop.slug.clone(),
            tending: tending.clone(),
        };
        let minter = state.minter.clone();
        // Tracked: a draining server lets a round under way (a fill) finish.
        rounds.spawn(async move {
            let _round = round;
            match minter.pool().tend(&workshop, now).await {
                Ok(_) => {}
                // The breaker already said so once; no line per workshop and second.
                Err(PoolError::OpenRouter(OpenRouterError::Unavailable { .. })) => {}
                Err(error) => {
                    tracing::warn!(%error, slug = %workshop.slug, "the key pool could not be tended; the next round tries again")
                }
            }
        });
    }
}

/// How often stored keys past `KEY_RETENTION_DAYS` are looked for.
const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// Erases the stored keys that expired longer than `retention` ago (hash and figures
/// stay). Every instance may do it; it is the same single statement.
async fn erase_expired_keys(state: &AppState, retention: Duration) {
    let cutoff = Utc::now().timestamp() - retention.as_secs() as i64;
    match state.database.erase_expired_keys(cutoff).await {
        Ok(0) => {}
        Ok(erased) => tracing::info!(erased, "erased stored keys past KEY_RETENTION_DAYS"),
        Err(error) => {
            tracing::warn!(%error, "could not erase expired keys; the next hour tries again")
        }
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
    let swept = state
        .minter
        .leases()
        .with_lease(SWEEP_LEASE, now, SWEEP_LEASE_FOR, |_| async {
            let outcome = state.minter.sweep_stalled(&state.registry).await;
            // Top-ups whose OpenRouter answer was lost: read back and settled.
            if let Err(error) =
                engine::top_up::settle_lost_top_ups(&state.database, state.minter.client()).await
            {
                tracing::warn!(%error, "could not settle lost top-ups; the next pass tries again");
            }
            Finished::from(outcome)
        })
        .await;
    match swept {
        Ok(Some(Err(error))) => {
            tracing::warn!(%error, "the sweep failed; the next pass tries again");
        }
        Err(error) => tracing::warn!(%error, "the sweep could not take its lease"),
        Ok(_) => {}
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
        Ok(SyncOutcome::Busy | SyncOutcome::Fresh { .. } | SyncOutcome::BackingOff { .. }) => {}
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use tokio_util::sync::CancellationToken;
    use tokio_util::task::TaskTracker;

    use super::supervised;

    #[tokio::test(start_paused = true)]
    async fn a_loop_that_panics_is_started_again() {
        let runs = Arc::new(AtomicU32::new(0));
        let (done, finished) = tokio::sync::oneshot::channel();
        let mut done = Some(done);
        let counter = runs.clone();
        let (stop, tasks) = (CancellationToken::new(), TaskTracker::new());
        supervised("test loop", &stop, &tasks, move || {
            let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
            let done = if run == 3 { done.take() } else { None };
            async move {
                if run < 3 {
                    panic!("round {run} went wrong");
                }
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
        });
        finished.await.expect("the third run happens");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_stopped_loop_ends_at_its_next_pause() {
        let (stop, tasks) = (CancellationToken::new(), TaskTracker::new());
        let ticks = Arc::new(AtomicU32::new(0));
        let counter = ticks.clone();
        supervised("ticking", &stop, &tasks, move || {
            let counter = counter.clone();
            async move {
                loop {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
        stop.cancel();
        tasks.close();
        tasks.wait().await;
        let stopped_at = ticks.load(Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            stopped_at,
            "no tick after the stop"
        );
    }
}
