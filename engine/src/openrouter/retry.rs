//! Backoff for calls that are safe to repeat: exponential, capped, with "equal jitter"
//! (each wait is between half and all of the exponential step) so a room of claims that
//! hit a 429 together do not come back together, while no retry comes back at once; a
//! `Retry-After` from OpenRouter is honoured as the minimum wait.

use std::time::Duration;

use rand::Rng;

/// The longest pause between two attempts of one call. OpenRouter can ask for more (a
/// 429's `Retry-After`): then the call gives up at once, and whoever made it — the claim,
/// the sweep, a timer — schedules the next try, so no HTTP request hangs on OpenRouter
/// for longer than a few seconds.
pub const LONGEST_RETRY_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1` (`attempt` counts from 1).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        let jittered = exponential.mul_f64(rand::rng().random_range(0.5..=1.0));
        match retry_after {
            // OpenRouter said when; wait at least that, never absurdly long.
            Some(wait) => wait.min(Duration::from_secs(60)).max(jittered),
            None => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_capped_and_honour_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let first = policy.delay(1, None);
            assert!((50..=100).contains(&first.as_millis()), "{first:?}");
            let fourth = policy.delay(4, None);
            assert!((400..=800).contains(&fourth.as_millis()), "{fourth:?}");
            assert!(policy.delay(30, None) <= Duration::from_millis(1000));
            assert_eq!(
                policy.delay(1, Some(Duration::from_secs(3))),
                Duration::from_secs(3)
            );
            assert_eq!(
                policy.delay(1, Some(Duration::from_secs(999))),
                Duration::from_secs(60)
            );
        }
    }
}
