//! The workshop file's `key_pool` field and the rule that turns it into how many ready
//! keys the warm pool keeps (see `engine::key_pool`).
//!
//! - `auto` (the default): min(remaining places, max(10, 20 % of the workshop's places),
//!   100), where the workshop's places are `max_attendees` or, when the budget allows
//!   fewer (or there is no `max_attendees`), `limit_usd / key_limit_usd`. A room of 150
//!   keeps 30 keys ready: enough for the first rush of a minute, refilled as they go.
//!   Never more than [`AUTO_MAXIMUM`]: a $10,000 cap with $1 keys and no `max_attendees`
//!   would otherwise pre-mint 2,000 keys. 100 ready keys answer a room arriving at 20
//!   claims a second for five seconds before the first refill (a quarter gone) starts,
//!   and the benchmark's 500-attendee burst at 0 ms refills faster than it drains.
//! - a number: that many (written out, it may exceed 100), never more than the places
//!   that remain.
//! - `0`: no pool; every claim mints its key directly (the behaviour before the pool).
//!
//! "Remaining places" shrink with every claim, so the pool never holds a key that could
//! not be handed out within the caps: the pool's keys together never exceed what the
//! budget and `max_attendees` still allow.

use serde::Deserialize;

/// The most keys a pool may be asked to keep: a bound on what one file can make the
/// server mint before anyone arrives.
pub const MAX_POOL: i64 = 5_000;

/// Pool keys kept at least, under `auto`.
const AUTO_MINIMUM: i64 = 10;
/// Share of the workshop's places kept ready under `auto`, in percent.
const AUTO_PERCENT: i64 = 20;
/// Pool keys kept at most, under `auto`; a larger pool must be written as a number.
pub const AUTO_MAXIMUM: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyPoolSize {
    #[default]
    Auto,
    /// A fixed number of ready keys; 0 turns the pool off.
    Fixed(i64),
}

/// The field as written: `auto` or a whole number. Read as any YAML value, so that
/// `1.5`, `yes` or a list get a message about pool sizes rather than serde's.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub(super) struct KeyPoolField(serde_yaml_ng::Value);

impl KeyPoolField {
    /// The size, or the message for a value that is neither `auto` nor 0..=[`MAX_POOL`].
    pub(super) fn size(&self) -> Result<KeyPoolSize, String> {
        use serde_yaml_ng::Value;
        let refuse = |shown: String| {
            format!(
                "`{shown}` is not a pool size: write `auto`, a number of keys, or 0 for no pool"
            )
        };
        match &self.0 {
            Value::String(word) if word.trim().eq_ignore_ascii_case("auto") => {
                Ok(KeyPoolSize::Auto)
            }
            Value::Number(number) => match number.as_i64() {
                Some(n) if (0..=MAX_POOL).contains(&n) => Ok(KeyPoolSize::Fixed(n)),
                Some(n) => Err(format!(
                    "{n} keys is not a pool size: use 0 (no pool) to {MAX_POOL}, or `auto`"
                )),
                None => Err(refuse(number.to_string())),
            },
            Value::String(word) => Err(refuse(word.clone())),
            other => Err(refuse(
                serde_yaml_ng::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            )),
        }
    }
}

/// What the pool rule needs to know about a workshop and its claims so far.
#[derive(Debug, Clone, Copy)]
pub struct PoolInputs {
    pub size: KeyPoolSize,
    pub max_attendees: Option<i64>,
    pub key_limit_micros: i64,
    pub cap_micros: i64,
    /// Claims made so far, and the sum of their per-key limits.
    pub claims: i64,
    pub committed_micros: i64,
}

impl KeyPoolSize {
    pub fn is_off(self) -> bool {
        self == KeyPoolSize::Fixed(0)
    }
}

/// How many ready keys the pool keeps now (see the module comment).
pub fn pool_target(inputs: PoolInputs) -> i64 {
    let per_key = inputs.key_limit_micros.max(1);
    let budget_places = inputs.cap_micros / per_key;
    let places = inputs
        .max_attendees
        .map_or(budget_places, |max| max.min(budget_places));
    let remaining_budget = (inputs.cap_micros - inputs.committed_micros).max(0) / per_key;
    let remaining = inputs
        .max_attendees
        .map_or(remaining_budget, |max| {
            (max - inputs.claims).min(remaining_budget)
        })
        .max(0);
    let wanted = match inputs.size {
        KeyPoolSize::Auto => AUTO_MINIMUM
            .max((places * AUTO_PERCENT + 99) / 100)
            .min(AUTO_MAXIMUM),
        KeyPoolSize::Fixed(n) => n,
    };
    wanted.min(remaining).clamp(0, MAX_POOL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(size: KeyPoolSize, max_attendees: Option<i64>, cap_usd: i64) -> PoolInputs {
        PoolInputs {
            size,
            max_attendees,
            key_limit_micros: 2_000_000,
            cap_micros: cap_usd * 1_000_000,
            claims: 0,
            committed_micros: 0,
        }
    }

    #[test]
    fn auto_keeps_a_fifth_of_the_places_and_at_least_ten() {
        // 150 places: 30 ready.
        assert_eq!(pool_target(inputs(KeyPoolSize::Auto, Some(150), 300)), 30);
        // 20 places: 20 % is 4, the minimum is 10.
        assert_eq!(pool_target(inputs(KeyPoolSize::Auto, Some(20), 300)), 10);
        // No max_attendees: the places the budget allows (500 at $2 of $1,000).
        assert_eq!(pool_target(inputs(KeyPoolSize::Auto, None, 1_000)), 100);
        // The budget allows fewer places than max_attendees: the budget's.
        assert_eq!(pool_target(inputs(KeyPoolSize::Auto, Some(1_000), 200)), 20);
    }

    #[test]
    fn auto_keeps_at_most_a_hundred_and_a_written_number_may_be_more() {
        // $10,000 cap, $1 keys, no max_attendees: 10,000 places, 20 % would be 2,000.
        let mut big = inputs(KeyPoolSize::Auto, None, 10_000);
        big.key_limit_micros = 1_000_000;
        assert_eq!(pool_target(big), AUTO_MAXIMUM);
        big.size = KeyPoolSize::Fixed(400);
        assert_eq!(pool_target(big), 400);
    }

    #[test]
    fn the_pool_never_exceeds_the_places_that_remain() {
        let mut nearly_full = inputs(KeyPoolSize::Auto, Some(150), 300);
        nearly_full.claims = 145;
        nearly_full.committed_micros = 145 * 2_000_000;
        assert_eq!(pool_target(nearly_full), 5);
        let mut budget_gone = inputs(KeyPoolSize::Fixed(50), None, 100);
        budget_gone.committed_micros = 99_000_000; // $1 left, keys cost $2
        assert_eq!(pool_target(budget_gone), 0);
        assert_eq!(pool_target(inputs(KeyPoolSize::Fixed(50), Some(8), 300)), 8);
        assert_eq!(
            pool_target(inputs(KeyPoolSize::Fixed(0), Some(150), 300)),
            0
        );
    }

    #[test]
    fn the_field_reads_auto_numbers_and_refuses_the_rest() {
        let field = |yaml: &str| KeyPoolField(serde_yaml_ng::from_str(yaml).unwrap()).size();
        assert_eq!(field("auto"), Ok(KeyPoolSize::Auto));
        assert_eq!(field("Auto"), Ok(KeyPoolSize::Auto));
        assert_eq!(field("0"), Ok(KeyPoolSize::Fixed(0)));
        assert_eq!(field("40"), Ok(KeyPoolSize::Fixed(40)));
        assert!(field("lots").unwrap_err().contains("write `auto`"));
        assert!(field("1.5")
            .unwrap_err()
            .contains("`1.5` is not a pool size"));
        assert!(field("[1, 2]").unwrap_err().contains("is not a pool size"));
        assert!(field("-1").unwrap_err().contains("0 (no pool)"));
        assert!(field(&(MAX_POOL + 1).to_string()).is_err());
    }
}
