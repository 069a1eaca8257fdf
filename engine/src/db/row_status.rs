//! Which status a claim row shows organisers (bound, unbound, preparing, failed,
//! disabled), decided in one place: as a SQL condition for the table's filter and the
//! figures' counts, and in Rust for a row already loaded. The two are written side by
//! side here, and `server/tests/api/database.rs` checks on both databases that they
//! agree for every combination of the columns they read.

use wire::model::RowStatus;

use super::{Attendance, ClaimState};

/// The condition under which a `workshop_attendance` row shows `status`, with `$2`
/// bound to now. Unqualified columns: they are `workshop_attendance`'s alone, also in
/// the table's join with `attendees`.
pub fn condition(status: RowStatus) -> &'static str {
    match status {
        RowStatus::Bound => "claim_status = 'bound' AND COALESCE(key_disabled, 0) = 0",
        RowStatus::Unbound => "claim_status = 'minted' AND COALESCE(key_disabled, 0) = 0",
        RowStatus::Preparing => {
            "claim_status = 'reserved' AND (mint_attempts = 0 OR mint_lease_until > $2)"
        }
        RowStatus::Failed => {
            "claim_status = 'reserved' AND mint_attempts > 0 \
             AND (mint_lease_until IS NULL OR mint_lease_until <= $2)"
        }
        RowStatus::Disabled => "claim_status <> 'reserved' AND key_disabled = 1",
    }
}

/// The status a loaded row shows at `now`: the same rule as [`condition`].
pub fn row_status(row: &Attendance, now: i64) -> RowStatus {
    match &row.state {
        ClaimState::Reserved { .. } => {
            if row.mint_attempts == 0 || row.state.is_leased_at(now) {
                RowStatus::Preparing
            } else {
                RowStatus::Failed
            }
        }
        _ if row.key_disabled == Some(1) => RowStatus::Disabled,
        ClaimState::Minted { .. } => RowStatus::Unbound,
        ClaimState::Bound { .. } => RowStatus::Bound,
    }
}

/// One `CAST(COALESCE(SUM(CASE WHEN … THEN 1 ELSE 0 END), 0) AS BIGINT)` column per
/// status, in [`RowStatus::ALL`]'s order, for a query over `workshop_attendance`.
pub fn count_columns() -> String {
    RowStatus::ALL
        .into_iter()
        .map(|status| {
            format!(
                "CAST(COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0) AS BIGINT)",
                condition(status)
            )
        })
        .collect::<Vec<_>>()
        .join(",\n                 ")
}
