//! What the pages know about a workshop: public facts only (no admin list).

use serde::{Deserialize, Serialize};

use super::Usd;

/// Where a workshop stands, from its claim window and the current time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkshopState {
    Upcoming,
    Open,
    Closed,
}

impl WorkshopState {
    pub fn label(self) -> &'static str {
        match self {
            WorkshopState::Upcoming => "Upcoming",
            WorkshopState::Open => "Open",
            WorkshopState::Closed => "Closed",
        }
    }

    /// `upcoming`, `open` or `closed`: for data attributes and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkshopState::Upcoming => "upcoming",
            WorkshopState::Open => "open",
            WorkshopState::Closed => "closed",
        }
    }

    pub fn css_class(self) -> &'static str {
        match self {
            WorkshopState::Upcoming => "state state-upcoming",
            WorkshopState::Open => "state state-open",
            WorkshopState::Closed => "state state-closed",
        }
    }
}

/// One instant, carried both as UTC (for the viewer's own time zone, computed in the
/// browser) and already formatted in the workshop's time zone (rendered by the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopTime {
    /// RFC 3339 in UTC, e.g. `2026-04-14T06:00:00Z`.
    pub utc: String,
    /// The same instant in UTC seconds, for arithmetic without a date parser in the
    /// browser bundle.
    pub unix: i64,
    /// e.g. `Tue 14 Apr 2026, 08:00 CEST`.
    pub in_workshop_zone: String,
    /// The workshop zone's offset from UTC at this instant, in seconds: the browser
    /// adds the viewer's own time only when their offset differs.
    pub workshop_offset_secs: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopSummary {
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub timezone: String,
    pub state: WorkshopState,
    pub claims_open_at: WorkshopTime,
    pub claims_close_at: WorkshopTime,
    pub key_expires_at: WorkshopTime,
    pub key_limit: Usd,
    pub allowed_models: Vec<String>,
}
