//! "Now", for everything that depends on a workshop's calendar: whether claims are open,
//! whether a key has expired, what a countdown counts to. Real time, plus an offset that
//! only demo mode can set (`POST /_demo/clock`), so a demo — and the browser tests —
//! can show a workshop before it opens, after it closes and after its keys expire
//! without waiting for the calendar. Sessions, leases and backoffs use real time always.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Default)]
pub struct WorkshopClock {
    offset_secs: Arc<AtomicI64>,
}

impl WorkshopClock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.offset_secs.load(Ordering::Relaxed))
    }

    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves the workshop calendar. The server only exposes this in demo mode.
    pub fn set_offset_secs(&self, offset: i64) {
        self.offset_secs.store(offset, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_moves_now_and_is_shared_by_clones() {
        let clock = WorkshopClock::default();
        let other = clock.clone();
        clock.set_offset_secs(86_400);
        let ahead = other.now() - Utc::now();
        assert!(ahead > Duration::seconds(86_390) && ahead <= Duration::seconds(86_400));
        assert_eq!(other.offset_secs(), 86_400);
    }
}
