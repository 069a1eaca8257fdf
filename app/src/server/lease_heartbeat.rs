//! Keeps a lease alive while its holder works. Leases are short (seconds) so that a
//! holder that dies — a crash, a `kill -9`, a deploy — is taken over quickly; a holder
//! that lives renews its lease on a timer until it drops the heartbeat.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

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

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}
