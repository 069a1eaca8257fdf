//! A clean stop, on SIGTERM or SIGINT (a deploy, a scale-down, Ctrl-C):
//!
//! 1. readiness turns 503 at once (`/readyz`), while requests are still served for
//!    `SHUTDOWN_GRACE_SECS` (default 5), so a load balancer moves traffic first;
//! 2. the listener closes; requests in flight and tracked detached work (claims,
//!    assignments, renames) finish within `SHUTDOWN_TIMEOUT_SECS` (default 25);
//! 3. background loops are cancelled, and every lease this instance holds (the sweep,
//!    each workshop's pool and guardrail, the usage sync) is handed back, so another
//!    instance takes the work over at its next tick instead of after the lease runs out;
//! 4. the database pool is closed, and the process exits 0.
//!
//! Work that cannot finish in time is left the way a crash leaves it — a reserved row,
//! a minted unbound key, a pool key with its pool name — which the next start or another
//! instance completes: nothing is lost, only later.

use std::time::{Duration, Instant};

use engine::state::AppState;

use crate::background::Background;
use crate::probes::Draining;

/// How long each phase may take (`SHUTDOWN_GRACE_SECS`, `SHUTDOWN_TIMEOUT_SECS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainSettings {
    /// Serving on while readiness says 503.
    pub grace: Duration,
    /// After the listener closes: requests in flight and detached work, in all.
    pub timeout: Duration,
}

impl Default for DrainSettings {
    fn default() -> Self {
        DrainSettings {
            grace: Duration::from_secs(5),
            timeout: Duration::from_secs(25),
        }
    }
}

/// Phase 1: readiness 503, then the grace period. Returns when the listener should close.
pub async fn announce(draining: &Draining, settings: DrainSettings) {
    draining.start();
    tracing::info!(
        grace_secs = settings.grace.as_secs(),
        "draining: readiness now answers 503; serving on for the grace period"
    );
    tokio::time::sleep(settings.grace).await;
    tracing::info!("draining: no new connections; finishing the requests in flight");
}

/// Phases 3 and 4, once the listener is closed: waits for detached work until
/// `deadline`, stops the background loops, hands back leases, closes the database.
/// Returns whether everything finished in time.
pub async fn finish(state: &AppState, background: Background, deadline: Instant) -> bool {
    let left = || deadline.saturating_duration_since(Instant::now());
    let work_done = state.minter.drain(left()).await;
    if !work_done {
        tracing::warn!(
            "draining: detached work still running at the timeout; the next start finishes it"
        );
    }
    let loops_done = background.stop(left()).await;
    let now = chrono::Utc::now().timestamp();
    match state
        .database
        .release_background_leases(state.instance(), now)
        .await
    {
        Ok(released) => tracing::info!(released, "draining: leases handed back"),
        Err(error) => {
            tracing::warn!(%error, "draining: could not hand back the leases; they expire on their own")
        }
    }
    state.database.close().await;
    tracing::info!("stopped");
    work_done && loops_done
}
