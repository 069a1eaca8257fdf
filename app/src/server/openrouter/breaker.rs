//! A circuit breaker: remembers a failing OpenRouter for a short back-off, so that while
//! it is down every caller learns so in microseconds instead of each waiting out its own
//! timeout (and holding a slot of the client meanwhile).
//!
//! Closed (normal) → after `failures_to_open` failures in a row (timeouts, broken
//! connections, 5xx) → open for `backoff`: calls fail at once with
//! [`super::OpenRouterError::Unavailable`] → when the back-off has passed, calls go
//! through again; the first success closes the breaker and resets the back-off, another
//! failure opens it again for twice as long (up to `max_backoff`). A 429 is OpenRouter
//! answering, not failing, and leaves the breaker alone.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    pub failures_to_open: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures_to_open: 3,
            first_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(30),
        }
    }
}

#[derive(Debug)]
pub struct CircuitBreaker {
    settings: BreakerSettings,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    failures_in_a_row: u32,
    open_until: Option<Instant>,
    backoff: Duration,
}

impl CircuitBreaker {
    pub fn new(settings: BreakerSettings) -> Self {
        CircuitBreaker {
            settings,
            state: Mutex::new(State {
                failures_in_a_row: 0,
                open_until: None,
                backoff: settings.first_backoff,
            }),
        }
    }

    /// `Err(how long until calls go through again)` while the breaker is open.
    pub fn check(&self) -> Result<(), Duration> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match state.open_until {
            Some(until) => match until.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Err(left),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    pub fn record_success(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.failures_in_a_row = 0;
        state.open_until = None;
        state.backoff = self.settings.first_backoff;
    }

    pub fn record_failure(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.failures_in_a_row = state.failures_in_a_row.saturating_add(1);
        let now = Instant::now();
        let already_open = state.open_until.is_some_and(|until| until > now);
        if already_open || state.failures_in_a_row < self.settings.failures_to_open {
            return;
        }
        // Opening (or reopening after a failed trial): wait, and wait longer next time.
        state.open_until = Some(now + state.backoff);
        tracing::warn!(
            backoff_ms = state.backoff.as_millis() as u64,
            "OpenRouter keeps failing; calls are refused until the back-off has passed"
        );
        state.backoff = (state.backoff * 2).min(self.settings.max_backoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(backoff_ms: u64) -> CircuitBreaker {
        CircuitBreaker::new(BreakerSettings {
            failures_to_open: 2,
            first_backoff: Duration::from_millis(backoff_ms),
            max_backoff: Duration::from_secs(60),
        })
    }

    #[test]
    fn opens_after_failures_in_a_row_and_closes_on_success() {
        let breaker = breaker(60_000);
        breaker.record_failure();
        assert!(breaker.check().is_ok(), "one failure is not an outage");
        breaker.record_success();
        breaker.record_failure();
        assert!(
            breaker.check().is_ok(),
            "a success in between resets the count"
        );
        breaker.record_failure();
        let left = breaker.check().expect_err("two in a row open it");
        assert!(left <= Duration::from_secs(60) && left > Duration::from_secs(59));
        breaker.record_success();
        assert!(breaker.check().is_ok());
    }

    #[test]
    fn a_failed_trial_reopens_for_twice_as_long() {
        let breaker = breaker(1_000);
        breaker.record_failure();
        breaker.record_failure();
        assert!(breaker.check().is_err());
        // The back-off passes (moved back in time rather than waited for).
        breaker.state.lock().unwrap().open_until = Some(Instant::now() - Duration::from_millis(1));
        assert!(
            breaker.check().is_ok(),
            "after the back-off a trial call goes through"
        );
        breaker.record_failure();
        let left = breaker.check().expect_err("the failed trial reopens it");
        assert!(
            left > Duration::from_millis(1_900),
            "twice the first back-off: {left:?}"
        );
    }
}
