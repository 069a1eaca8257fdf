//! Leases on work that only one holder may do at a time, and the one protocol for them:
//! take the lease, keep it alive with a heartbeat while the work runs, hand it back.
//! Leases are short (seconds) so that a holder that dies — a crash, a `kill -9`, a
//! deploy — is taken over quickly; a holder that lives renews its lease on a timer until
//! it drops the heartbeat. The rows themselves are `db/leases.rs` (background jobs) and
//! `db/minting.rs` (one attendee's mint).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::db::{BackgroundLease, Database, DbError};

/// Renews a lease every `period` by running `renew`, until dropped.
pub struct Heartbeat {
    task: JoinHandle<()>,
}

impl Heartbeat {
    /// `renew` returns `false` when the lease is lost (someone else took it over); the
    /// heartbeat then stops, and the holder's final write, conditional on the lease,
    /// will tell it so.
    pub fn start<Renew, Renewed>(period: Duration, mut renew: Renew) -> Heartbeat
    where
        Renew: FnMut() -> Renewed + Send + 'static,
        Renewed: Future<Output = bool> + Send,
    {
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await; // the first tick is immediate; the lease was just taken
            loop {
                ticks.tick().await;
                if !renew().await {
                    return;
                }
            }
        });
        Heartbeat { task }
    }

    /// Keeps a background lease held: every `period`, extends it to `lease_for` from
    /// then. A database error is not a lost lease: the next beat tries again, and the
    /// lease outlives a few missed beats.
    fn keep_background_lease(
        database: Database,
        lease: BackgroundLease,
        period: Duration,
        lease_for: Duration,
    ) -> Heartbeat {
        Heartbeat::start(period, move || {
            let (database, lease) = (database.clone(), lease.clone());
            async move {
                let until = chrono::Utc::now().timestamp() + lease_for.as_secs() as i64;
                database
                    .renew_background_lease(&lease, until)
                    .await
                    .unwrap_or(true)
            }
        })
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// This instance's background leases: every job it runs alone (the usage sync, the
/// sweep, a workshop's pool, creating a workshop's guardrail) is held under the one
/// holder id it was made with. Cheap to clone.
#[derive(Clone)]
pub struct Leases {
    database: Database,
    holder: Arc<str>,
}

/// What a job did under its lease: its value, and whether it completed. A completed
/// job's end is remembered as the lease's `last_done_at`, which spaces the next run.
pub struct Finished<T> {
    pub value: T,
    pub completed: bool,
}

impl<T> Finished<T> {
    /// Ran and did not complete (it stopped early, or found nothing to do that should
    /// count as a run).
    pub fn incomplete(value: T) -> Self {
        Finished {
            value,
            completed: false,
        }
    }
}

impl<T, E> From<Result<T, E>> for Finished<Result<T, E>> {
    /// Completed when it succeeded.
    fn from(result: Result<T, E>) -> Self {
        let completed = result.is_ok();
        Finished {
            value: result,
            completed,
        }
    }
}

impl Leases {
    pub fn new(database: Database, holder: &str) -> Leases {
        Leases {
            database,
            holder: Arc::from(holder),
        }
    }

    /// This instance's name in every lease it takes.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Runs `work` under the background lease `name`, unless someone (this instance
    /// included) holds it at `now`: takes it for `ttl`, renews it every quarter of `ttl`
    /// while `work` runs, and hands it back when `work` ends. `work` is told when the
    /// job last completed. `None` when the lease is held elsewhere. Handing back is best
    /// effort: a lease that is not handed back expires on its own after `ttl`.
    pub async fn with_lease<T, Work, Running>(
        &self,
        name: &str,
        now: i64,
        ttl: Duration,
        work: Work,
    ) -> Result<Option<T>, DbError>
    where
        Work: FnOnce(Option<i64>) -> Running,
        Running: Future<Output = Finished<T>>,
    {
        let until = now + ttl.as_secs() as i64;
        let Some(lease) = self
            .database
            .take_background_lease(name, &self.holder, now, until)
            .await?
        else {
            return Ok(None);
        };
        let started = Instant::now();
        let heartbeat =
            Heartbeat::keep_background_lease(self.database.clone(), lease.clone(), ttl / 4, ttl);
        let finished = work(lease.last_done_at).await;
        drop(heartbeat);
        let ended = now + started.elapsed().as_secs() as i64;
        let handed_back = self
            .database
            .finish_background_lease(&lease, finished.completed, ended)
            .await;
        if let Err(error) = handed_back {
            tracing::warn!(%error, lease = name, "could not hand back a lease; it expires on its own");
        }
        Ok(Some(finished.value))
    }
}
