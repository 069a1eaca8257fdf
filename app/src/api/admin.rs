//! Server functions for a workshop's admins. Every call checks, on the server, that the
//! caller is signed in and an admin of that workshop.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::Usd;

/// One attendee's claim as the admin page shows it. Never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimOverview {
    pub email: String,
    /// `reserved` (no key yet), `minted` (key works, not yet bound: "unbound"), `bound`.
    pub status: String,
    pub key_label: Option<String>,
    pub limit: Usd,
    pub usage: Option<Usd>,
    pub usage_synced_at: Option<i64>,
    pub claimed_at: i64,
    /// Why the last mint or binding attempt failed (no secrets).
    pub last_error: Option<String>,
}

/// What "retry all unbound" achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryReport {
    pub bound: u64,
    pub still_unbound: u64,
}

/// What "sync now" did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncNowOutcome {
    Synced {
        keys_updated: u64,
        list_calls: u64,
    },
    /// Another server instance is syncing at this moment; figures update when it ends.
    AlreadyRunning,
}

#[server(endpoint = "list_claims")]
pub async fn list_claims(slug: String) -> Result<Vec<ClaimOverview>, AppError> {
    use crate::components::response_status::respond_with;
    use crate::server::{admin::overview, auth::require_admin_of};

    respond_with(
        async {
            let (state, _admin, workshop) = require_admin_of(&slug).await?;
            let rows = state
                .database
                .list_attendance(&workshop.slug)
                .await
                .map_err(|error| {
                    tracing::error!(%error, slug = %workshop.slug, "listing claims failed");
                    AppError::Internal
                })?;
            Ok(rows.into_iter().map(overview).collect())
        }
        .await,
    )
}

/// Finishes one attendee's claim: mints a key for a row that has none, or assigns an
/// unbound key to the workshop guardrail.
#[server(endpoint = "retry_binding")]
pub async fn retry_binding(slug: String, email: String) -> Result<ClaimOverview, AppError> {
    use crate::components::response_status::respond_with;
    use crate::server::{admin::overview, auth::require_admin_of, email::normalize_email};

    respond_with(
        async {
            let (state, _admin, workshop) = require_admin_of(&slug).await?;
            let email = normalize_email(&email)
                .ok_or_else(|| AppError::InvalidInput("That is not an email address.".into()))?;
            let row = state
                .database
                .find_attendance_by_email(&workshop.slug, &email)
                .await
                .map_err(|error| {
                    tracing::error!(%error, "reading a claim failed");
                    AppError::Internal
                })?
                .ok_or_else(|| AppError::NotFound(format!("A claim by {email}")))?;
            let title = workshop.title.clone();
            let row = state
                .minter
                .retry_row(workshop, row, chrono::Utc::now())
                .await
                .map_err(|error| error.into_app_error(&title))?;
            Ok(overview(row))
        }
        .await,
    )
}

/// Assigns every unbound key of the workshop to its guardrail, in bulk calls.
#[server(endpoint = "retry_all_unbound")]
pub async fn retry_all_unbound(slug: String) -> Result<RetryReport, AppError> {
    use crate::components::response_status::respond_with;
    use crate::server::auth::require_admin_of;

    respond_with(
        async {
            let (state, _admin, workshop) = require_admin_of(&slug).await?;
            let report = state
                .minter
                .bind_unbound(&workshop, chrono::Utc::now())
                .await
                .map_err(|error| error.into_app_error(&workshop.title))?;
            Ok(RetryReport {
                bound: report.bound,
                still_unbound: report.still_unbound,
            })
        }
        .await,
    )
}

/// Refreshes usage figures from OpenRouter now.
#[server(endpoint = "sync_usage_now")]
pub async fn sync_usage_now(slug: String) -> Result<SyncNowOutcome, AppError> {
    use crate::components::response_status::respond_with;
    use crate::server::{auth::require_admin_of, usage_sync::SyncOutcome};

    respond_with(
        async {
            let (state, _admin, _workshop) = require_admin_of(&slug).await?;
            let outcome = state
                .usage_sync
                .sync(chrono::Utc::now().timestamp(), true)
                .await
                .map_err(|error| {
                    tracing::warn!(%error, "usage sync failed");
                    AppError::UpstreamUnavailable
                })?;
            Ok(match outcome {
                SyncOutcome::Synced(report) => SyncNowOutcome::Synced {
                    keys_updated: report.rows_updated,
                    list_calls: report.list_calls as u64,
                },
                SyncOutcome::Busy | SyncOutcome::Fresh => SyncNowOutcome::AlreadyRunning,
            })
        }
        .await,
    )
}
