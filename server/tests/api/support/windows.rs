//! Claim windows relative to now, so no test workshop expires on a calendar date.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// A claim window, open `[open, close)`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub open: DateTime<Utc>,
    pub close: DateTime<Utc>,
}

impl Window {
    /// Opened yesterday, closes in 30 days.
    pub fn open_now() -> Window {
        let now = Utc::now();
        Window {
            open: now - Duration::days(1),
            close: now + Duration::days(30),
        }
    }

    /// Closed yesterday, after a day open.
    pub fn closed() -> Window {
        let now = Utc::now();
        Window {
            open: now - Duration::days(2),
            close: now - Duration::days(1),
        }
    }

    /// Opens in 30 days, for a day.
    pub fn upcoming() -> Window {
        let now = Utc::now();
        Window {
            open: now + Duration::days(30),
            close: now + Duration::days(31),
        }
    }

    /// When keys expire by default: a day after claims close.
    pub fn default_key_expiry(&self) -> DateTime<Utc> {
        self.close + Duration::hours(24)
    }

    /// The YAML lines of this window.
    pub fn yaml(&self) -> String {
        format!(
            "claims_open_at: {}\nclaims_close_at: {}\n",
            rfc3339(self.open),
            rfc3339(self.close)
        )
    }
}

pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}
