//! Keeps a lease alive while its holder works. Leases are short (seconds) so that a
//! holder that dies — a crash, a `kill -9`, a deploy — is taken over quickly; a holder
//! that lives renews its lease on a timer until it drops the heartbeat.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::server::db::{BackgroundLease, Database};

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
}

impl Heartbeat {
    /// Keeps a background lease (`db::leases`) held: every `period`, extends it to
    /// `lease_for` from then. A database error is not a lost lease: the next beat tries
    /// again, and the lease outlives a few missed beats.
    pub fn keep_background_lease(
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
