//! Money is exact: an integer number of micro-dollars (millionths of a USD) everywhere,
//! in YAML parsing, in the database (`*_usd_micros` columns) and on the wire.
//! OpenRouter reports usage with up to six decimals, so cents would lose spend.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Usd {
    micros: i64,
}

pub const MICROS_PER_USD: i64 = 1_000_000;

impl Usd {
    pub const ZERO: Usd = Usd { micros: 0 };

    pub const fn from_micros(micros: i64) -> Self {
        Usd { micros }
    }

    pub const fn micros(self) -> i64 {
        self.micros
    }

    /// Converts a decimal dollar amount (as written in YAML or sent by OpenRouter).
    /// Returns `None` for non-finite values or more than six decimals.
    pub fn from_dollars(dollars: f64) -> Option<Self> {
        if !dollars.is_finite() || dollars.abs() > (i64::MAX / MICROS_PER_USD) as f64 {
            return None;
        }
        let scaled = dollars * MICROS_PER_USD as f64;
        let rounded = scaled.round();
        // f64 cannot hold every decimal exactly; anything within a hundredth of a
        // micro-dollar is the decimal the author wrote.
        if (scaled - rounded).abs() > 0.01 {
            return None;
        }
        Some(Usd {
            micros: rounded as i64,
        })
    }

    pub fn as_dollars(self) -> f64 {
        self.micros as f64 / MICROS_PER_USD as f64
    }

    pub fn is_positive(self) -> bool {
        self.micros > 0
    }
}

impl std::ops::Add for Usd {
    type Output = Usd;
    fn add(self, other: Usd) -> Usd {
        Usd::from_micros(self.micros.saturating_add(other.micros))
    }
}

impl fmt::Display for Usd {
    /// Cents when the amount is whole cents (`$2.00`), otherwise every significant
    /// decimal (`$0.0123`), so small spends never show as `$0.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.micros < 0 { "-" } else { "" };
        let abs = self.micros.unsigned_abs();
        let whole = abs / MICROS_PER_USD as u64;
        let fraction = abs % MICROS_PER_USD as u64;
        if fraction % 10_000 == 0 {
            write!(f, "{sign}${whole}.{:02}", fraction / 10_000)
        } else {
            let digits = format!("{fraction:06}");
            write!(f, "{sign}${whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(Usd::from_dollars(2.0), Some(Usd::from_micros(2_000_000)));
        assert_eq!(Usd::from_dollars(0.1), Some(Usd::from_micros(100_000)));
        assert_eq!(
            Usd::from_dollars(300.000001),
            Some(Usd::from_micros(300_000_001))
        );
    }

    #[test]
    fn refuses_more_than_six_decimals_and_non_finite() {
        assert_eq!(Usd::from_dollars(0.0000001), None);
        assert_eq!(Usd::from_dollars(f64::NAN), None);
        assert_eq!(Usd::from_dollars(f64::INFINITY), None);
    }

    #[test]
    fn displays_cents_or_every_significant_decimal() {
        assert_eq!(Usd::from_micros(2_000_000).to_string(), "$2.00");
        assert_eq!(Usd::from_micros(2_500_000).to_string(), "$2.50");
        assert_eq!(Usd::from_micros(12_300).to_string(), "$0.0123");
        assert_eq!(Usd::from_micros(-1_000_000).to_string(), "-$1.00");
    }
}
