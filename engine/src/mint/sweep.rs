//! Finishes reservations nobody is finishing: a process that died mid-mint (a crash, a
//! `kill -9`, a deploy), a claim that failed while OpenRouter was down, an attendee who
//! closed the tab. The attendee's place was kept; the sweep mints, stores and binds their
//! key in the background, removing any key an earlier attempt may have left, so they find
//! it ready whenever they come back — or never come back, and nothing is orphaned.
//!
//! The server runs a pass every few seconds, one instance at a time (the `mint-sweep`
//! background lease). A row is due once its mint lease has run out and it has been left
//! alone for a while: a fresh reservation belongs to the request that made it. Rows
//! whose attempts keep failing wait longer each time (5 s doubling to 5 min). While the
//! OpenRouter circuit breaker is open the sweep does not try at all.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use super::{ClaimError, Minter};
use crate::db::{Attendance, DbError};
use crate::registry::Registry;

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepReport {
    pub due: usize,
    pub finished: usize,
    pub failed: usize,
}

/// How long after its last attempt a row that failed `attempts` times is tried again
/// (by the sweep, and by its attendee's clicks).
pub(super) fn backoff_secs(attempts: i64) -> i64 {
    match attempts {
        i64::MIN..=0 => 0,
        n => (5_i64 << (n - 1).min(6)).min(300),
    }
}

fn is_due(row: &Attendance, now: DateTime<Utc>) -> bool {
    row.expires_at > now.timestamp()
        && row.updated_at + backoff_secs(row.mint_attempts) <= now.timestamp()
}

impl Minter {
    /// One pass over stalled reservations of every workshop in `registry`.
    #[tracing::instrument(name = "sweep", skip_all)]
    pub async fn sweep_stalled(&self, registry: &Registry) -> Result<SweepReport, DbError> {
        if self.client().unavailable_for().is_some() {
            // The breaker would refuse every mint at once, and each refusal would count
            // as a failed attempt and push the row's next try further out (to minutes):
            // after a long outage the kept places would wait long after OpenRouter is
            // back. Wait for the breaker instead; its probe reopens the way.
            return Ok(SweepReport::default());
        }
        let settings = self.settings();
        let now = Utc::now();
        let untouched_since = now.timestamp() - settings.sweep_stalled_after.as_secs() as i64;
        let rows = self
            .inner
            .database
            .list_stalled_reservations(now.timestamp(), untouched_since, settings.sweep_batch)
            .await?;
        let due: Vec<Attendance> = rows.into_iter().filter(|row| is_due(row, now)).collect();
        let mut report = SweepReport {
            due: due.len(),
            ..SweepReport::default()
        };
        let permits = Arc::new(tokio::sync::Semaphore::new(
            settings.sweep_concurrency.max(1),
        ));
        let mut work = JoinSet::new();
        for row in due {
            let Some(workshop) = registry.get(&row.workshop_slug) else {
                tracing::warn!(slug = %row.workshop_slug, "a reservation's workshop file is gone; it is left alone");
                continue;
            };
            let (minter, permits) = (self.clone(), permits.clone());
            work.spawn(async move {
                let _permit = permits.acquire().await;
                minter.mint(&workshop, row, Utc::now(), false).await
            });
        }
        while let Some(outcome) = work.join_next().await {
            match outcome {
                Ok(Ok(_)) => report.finished += 1,
                // Someone else (the attendee's own click, another instance) is on it.
                Ok(Err(ClaimError::StillMinting)) => {}
                Ok(Err(error)) => {
                    report.failed += 1;
                    tracing::warn!(%error, "the sweep could not finish a reservation yet");
                }
                Err(error) => {
                    report.failed += 1;
                    tracing::error!(%error, "a sweep task stopped");
                }
            }
        }
        if report.due > 0 {
            tracing::info!(
                due = report.due,
                finished = report.finished,
                failed = report.failed,
                "swept stalled reservations"
            );
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn backoff_doubles_from_five_seconds_to_five_minutes() {
        assert_eq!(backoff_secs(0), 0);
        assert_eq!(backoff_secs(1), 5);
        assert_eq!(backoff_secs(2), 10);
        assert_eq!(backoff_secs(4), 40);
        assert_eq!(backoff_secs(7), 300);
        assert_eq!(backoff_secs(60), 300);
    }
}
