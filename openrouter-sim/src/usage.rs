//! Spend on one key by UTC period — lifetime, day, week (from Monday) and month — as
//! OpenRouter reports it. Periods roll over lazily: a counter whose period has passed
//! reads as zero and restarts when next added to, so no timer has to run.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::wire::Interval;

#[derive(Debug, Clone, Default)]
pub(crate) struct Usage {
    lifetime: f64,
    daily: PeriodCounter,
    weekly: PeriodCounter,
    monthly: PeriodCounter,
}

/// Usage as of one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct UsageSnapshot {
    pub lifetime: f64,
    pub daily: f64,
    pub weekly: f64,
    pub monthly: f64,
}

impl UsageSnapshot {
    /// The usage a key's limit is measured against: the current period's when the limit
    /// resets, the lifetime's otherwise.
    pub fn against(&self, reset: Option<Interval>) -> f64 {
        match reset {
            None => self.lifetime,
            Some(Interval::Daily) => self.daily,
            Some(Interval::Weekly) => self.weekly,
            Some(Interval::Monthly) => self.monthly,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct PeriodCounter {
    /// First day of the period the amount belongs to; `None` before any spend.
    period_start: Option<NaiveDate>,
    amount: f64,
}

impl PeriodCounter {
    fn read(&self, current_start: NaiveDate) -> f64 {
        if self.period_start == Some(current_start) {
            self.amount
        } else {
            0.0
        }
    }

    fn add(&mut self, usd: f64, current_start: NaiveDate) {
        self.amount = self.read(current_start) + usd;
        self.period_start = Some(current_start);
    }
}

impl Usage {
    pub fn add(&mut self, usd: f64, now: DateTime<Utc>) {
        let starts = PeriodStarts::at(now);
        self.lifetime += usd;
        self.daily.add(usd, starts.day);
        self.weekly.add(usd, starts.week);
        self.monthly.add(usd, starts.month);
    }

    pub fn snapshot(&self, now: DateTime<Utc>) -> UsageSnapshot {
        let starts = PeriodStarts::at(now);
        UsageSnapshot {
            lifetime: self.lifetime,
            daily: self.daily.read(starts.day),
            weekly: self.weekly.read(starts.week),
            monthly: self.monthly.read(starts.month),
        }
    }
}

struct PeriodStarts {
    day: NaiveDate,
    week: NaiveDate,
    month: NaiveDate,
}

impl PeriodStarts {
    fn at(now: DateTime<Utc>) -> Self {
        let day = now.date_naive();
        let week = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        let month = day.with_day(1).unwrap_or(day);
        PeriodStarts { day, week, month }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn periods_roll_over_at_utc_boundaries() {
        let mut usage = Usage::default();
        // Wednesday 31 December 2025.
        usage.add(1.0, at("2025-12-31T23:00:00Z"));
        usage.add(0.5, at("2025-12-31T23:30:00Z"));
        let same_day = usage.snapshot(at("2025-12-31T23:59:59Z"));
        assert_eq!(same_day.daily, 1.5);
        assert_eq!(same_day.monthly, 1.5);

        // Thursday 1 January: new day and month, same week.
        let next_day = usage.snapshot(at("2026-01-01T00:00:01Z"));
        assert_eq!(next_day.lifetime, 1.5);
        assert_eq!(next_day.daily, 0.0);
        assert_eq!(next_day.weekly, 1.5);
        assert_eq!(next_day.monthly, 0.0);

        // Monday 5 January: new week too; adding restarts the counters.
        usage.add(0.25, at("2026-01-05T08:00:00Z"));
        let monday = usage.snapshot(at("2026-01-05T09:00:00Z"));
        assert_eq!(monday.lifetime, 1.75);
        assert_eq!(monday.daily, 0.25);
        assert_eq!(monday.weekly, 0.25);
        assert_eq!(monday.monthly, 0.25);
    }

    #[test]
    fn limits_measure_the_usage_of_their_reset_period() {
        let snapshot = UsageSnapshot {
            lifetime: 4.0,
            daily: 1.0,
            weekly: 2.0,
            monthly: 3.0,
        };
        assert_eq!(snapshot.against(None), 4.0);
        assert_eq!(snapshot.against(Some(Interval::Daily)), 1.0);
        assert_eq!(snapshot.against(Some(Interval::Weekly)), 2.0);
        assert_eq!(snapshot.against(Some(Interval::Monthly)), 3.0);
    }
}
