//! A circuit breaker: remembers a failing OpenRouter for a short back-off, so that while
//! it is down every caller learns so in microseconds instead of each waiting out its own
//! timeout (and holding a slot of the client meanwhile).
//!
//! Closed (normal) → after `failures_to_open` failures in a row (timeouts, broken
//! connections, 5xx) → open for `backoff`: calls fail at once with
//! [`super::OpenRouterError::Unavailable`] → when the back-off has passed, calls go
//! through again; the first success closes the breaker and resets the back-off, another
//! failure opens it again for twice as long (up to `max_backoff`).
//!
//! A 429 is OpenRouter answering, not failing: it does not count as a failure, but its
//! `Retry-After` is honoured by the whole instance ([`CircuitBreaker::hold_off`]): until
//! then every call — a person's too — is refused at once, so a room of claims does not
//! keep knocking on a door that said "not now".

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
    /// OpenRouter asked us to wait (a 429's `Retry-After`) until then.
    not_before: Option<Instant>,
}

/// How long a 429 without `Retry-After` holds calls back.
pub const RATE_LIMIT_DEFAULT_WAIT: Duration = Duration::from_secs(5);
/// The longest wait a `Retry-After` can impose: a garbled header must not stop the
/// instance for a day.
pub const RATE_LIMIT_LONGEST_WAIT: Duration = Duration::from_secs(300);

impl CircuitBreaker {
    pub fn new(settings: BreakerSettings) -> Self {
        CircuitBreaker {
            settings,
            state: Mutex::new(State {
                failures_in_a_row: 0,
                open_until: None,
                backoff: settings.first_backoff,
                not_before: None,
            }),
        }
    }

    /// `Err(how long until calls go through again)` while the breaker is open or
    /// OpenRouter asked us to wait.
    #[cfg(test)]
    pub fn check(&self) -> Result<(), Duration> {
        self.check_for(false)
    }

    /// As [`CircuitBreaker::check`]; `for_a_person` skips the memory of failures (an
    /// organiser's Retry probes at once) but never a rate limit.
    pub fn check_for(&self, for_a_person: bool) -> Result<(), Duration> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let left = |until: Option<Instant>| {
            until
                .and_then(|until| until.checked_duration_since(now))
                .filter(|left| !left.is_zero())
        };
        let waits = [
            left(state.not_before),
            left(state.open_until).filter(|_| !for_a_person),
        ];
        match waits.into_iter().flatten().max() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// OpenRouter answered 429: no call from this instance until `retry_after` (from
    /// its `Retry-After`, else [`RATE_LIMIT_DEFAULT_WAIT`]) has passed.
    pub fn hold_off(&self, retry_after: Option<Duration>) {
        let wait = retry_after
            .unwrap_or(RATE_LIMIT_DEFAULT_WAIT)
            .min(RATE_LIMIT_LONGEST_WAIT);
        let until = Instant::now() + wait;
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.not_before.is_none_or(|current| current < until) {
            state.not_before = Some(until);
            tracing::warn!(
                wait_ms = wait.as_millis() as u64,
                "OpenRouter is rate-limiting us; no calls until it said to come back"
            );
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

    #[test]
    fn a_rate_limit_holds_back_everyone_including_people() {
        let breaker = breaker(60_000);
        breaker.hold_off(Some(Duration::from_secs(30)));
        let left = breaker.check().expect_err("held back");
        assert!(left > Duration::from_secs(29) && left <= Duration::from_secs(30));
        assert!(breaker.check_for(true).is_err(), "a person waits too");
        // A shorter Retry-After later does not shorten the hold; successes do not end it.
        breaker.hold_off(Some(Duration::from_secs(1)));
        breaker.record_success();
        assert!(breaker.check().expect_err("still held") > Duration::from_secs(29));
        // No Retry-After: a few seconds; an absurd one: capped.
        let other = super::tests::breaker(60_000);
        other.hold_off(None);
        assert!(other.check().unwrap_err() <= RATE_LIMIT_DEFAULT_WAIT);
        other.hold_off(Some(Duration::from_secs(86_400)));
        assert!(other.check().unwrap_err() <= RATE_LIMIT_LONGEST_WAIT);
    }

    #[test]
    fn a_person_probes_past_failures_but_not_past_a_rate_limit() {
        let breaker = breaker(60_000);
        breaker.record_failure();
        breaker.record_failure();
        assert!(breaker.check().is_err());
        assert!(breaker.check_for(true).is_ok());
    }

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
