//! Formats instants in a workshop's own time zone for server-rendered pages.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use wire::model::WorkshopTime;

pub fn workshop_time(instant: DateTime<Utc>, zone: Tz) -> WorkshopTime {
    use chrono::Offset;
    WorkshopTime {
        workshop_offset_secs: instant
            .with_timezone(&zone)
            .offset()
            .fix()
            .local_minus_utc(),
        utc: instant.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        unix: instant.timestamp(),
        in_workshop_zone: instant
            .with_timezone(&zone)
            .format("%a %-d %b %Y, %H:%M %Z")
            .to_string(),
    }
}
