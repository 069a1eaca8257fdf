//! What the claim server functions share: looking up the workshop and the caller's row,
//! and turning a row into what the caller may see.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::api::claims::MyKey;
use crate::error::AppError;
use crate::model::Usd;
use crate::server::db::{Attendance, Attendee, ClaimStatus};
use crate::server::registry::{is_valid_slug, Workshop};
use crate::server::state::AppState;
use crate::server::time_format::workshop_time;

/// The workshop `slug`, or a `NotFound` that never echoes arbitrary input.
pub fn known_workshop(state: &AppState, slug: &str) -> Result<Arc<Workshop>, AppError> {
    if !is_valid_slug(slug) {
        return Err(AppError::NotFound("That workshop".into()));
    }
    state
        .registry
        .get(slug)
        .ok_or_else(|| AppError::NotFound(format!("The workshop “{slug}”")))
}

/// The caller's row: by their sign-in, else by their mailbox (the same person signed in
/// another way, which the one-key-per-email rule treats as the same attendee).
pub async fn find_own_row(
    state: &AppState,
    attendee: &Attendee,
    slug: &str,
) -> Result<Option<Attendance>, AppError> {
    let database = &state.database;
    let by_user = database.find_attendance(&attendee.user_id, slug).await;
    let row = match by_user {
        Ok(Some(row)) => Ok(Some(row)),
        Ok(None) => {
            database
                .find_attendance_by_email(slug, &attendee.email_normalized)
                .await
        }
        Err(error) => Err(error),
    };
    row.map_err(|error| {
        tracing::error!(%error, "reading a claim failed");
        AppError::Internal
    })
}

/// The row as its owner sees it, times in the workshop's zone; `None` while no key is
/// stored.
pub fn my_key(row: Attendance, zone: &Tz) -> Option<MyKey> {
    let expires = DateTime::from_timestamp(row.expires_at, 0)?;
    Some(MyKey {
        bound: row.status() == ClaimStatus::Bound,
        label: row.key_label.unwrap_or_default(),
        key: row.or_key_plaintext?,
        limit: Usd::from_micros(row.limit_usd_micros),
        usage: row.usage_usd_micros.map(Usd::from_micros),
        usage_synced_at: row.usage_synced_at,
        expires: workshop_time(expires, *zone),
        claimed_at: row.attended_at,
    })
}

/// Starts a usage sync in the background when the row's figures are older than the
/// sync interval and the key can still be used. The sync's lease keeps this to one.
pub fn refresh_if_stale(state: &AppState, workshop: &Workshop, row: &Attendance) {
    let now = Utc::now().timestamp();
    let interval = state.usage_sync.interval.as_secs() as i64;
    let stale = row
        .usage_synced_at
        .is_none_or(|synced| now - synced >= interval);
    let usable = row.or_key_hash.is_some() && now < workshop.key_expires_at.timestamp();
    if stale && usable {
        let syncer = state.usage_sync.clone();
        tokio::spawn(async move {
            if let Err(error) = syncer.sync(now, false).await {
                tracing::warn!(%error, "usage sync on page view failed");
            }
        });
    }
}
