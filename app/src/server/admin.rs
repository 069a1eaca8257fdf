//! What the admin server functions share.

use crate::api::admin::ClaimOverview;
use crate::model::Usd;
use crate::server::db::Attendance;

/// A row as the admin page shows it: everything but the key itself.
pub fn overview(row: Attendance) -> ClaimOverview {
    ClaimOverview {
        status: row.status().as_str().to_string(),
        email: row.email_normalized,
        key_label: row.key_label,
        limit: Usd::from_micros(row.limit_usd_micros),
        usage: row.usage_usd_micros.map(Usd::from_micros),
        usage_synced_at: row.usage_synced_at,
        claimed_at: row.attended_at,
        last_error: row.last_error,
    }
}
