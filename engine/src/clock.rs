//! "Now", for everything that depends on a workshop's calendar: whether claims are open,
//! whether a key has expired, what a countdown counts to. Real time, plus an offset that
//! only demo mode can set (`POST /_demo/clock`), so a demo — and the browser tests —
//! can show a workshop before it opens, after it closes and after its keys expire
//! without waiting for the calendar. Sessions, leases and backoffs use real time always.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

/// How far demo mode may move the calendar, either way: ten years.
pub const MAX_OFFSET_SECS: i64 = 10 * 366 * 24 * 3600;

#[derive(Debug, Clone, Default)]
pub struct WorkshopClock {
    offset_secs: Arc<AtomicI64>,
}

impl WorkshopClock {
    pub fn now(&self) -> DateTime<Utc> {
        let real = Utc::now();
        // The offset is clamped when set; checked anyway, so no stored value can make
        // "now" panic (every page and the pool's timer ask for it).
        Duration::try_seconds(self.offset_secs())
            .and_then(|offset| real.checked_add_signed(offset))
            .unwrap_or(real)
    }

    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves the workshop calendar by `offset` seconds, at most [`MAX_OFFSET_SECS`]
    /// either way; returns the offset set. The server only exposes this in demo mode.
    pub fn set_offset_secs(&self, offset: i64) -> i64 {
        let offset = offset.clamp(-MAX_OFFSET_SECS, MAX_OFFSET_SECS);
        self.offset_secs.store(offset, Ordering::Relaxed);
        offset
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

    #[test]
    fn an_absurd_offset_is_clamped_and_now_never_panics() {
        let clock = WorkshopClock::default();
        assert_eq!(clock.set_offset_secs(10_000_000_000_000), MAX_OFFSET_SECS);
        assert!(clock.now() > Utc::now() + Duration::days(3_600));
        assert_eq!(clock.set_offset_secs(i64::MIN), -MAX_OFFSET_SECS);
        assert!(clock.now() < Utc::now() - Duration::days(3_600));
        // A stored value out of range (not through the setter) still gives a time.
        clock.offset_secs.store(i64::MAX, Ordering::Relaxed);
        let _ = clock.now();
    }
}
