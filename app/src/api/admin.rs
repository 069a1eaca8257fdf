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
    pub status: String,
    pub key_label: Option<String>,
    pub limit: Usd,
    pub usage: Option<Usd>,
    pub claimed_at: i64,
}

#[server(endpoint = "list_claims")]
pub async fn list_claims(slug: String) -> Result<Vec<ClaimOverview>, AppError> {
    use crate::components::response_status::respond_with;
    use crate::server::auth::require_admin_of;

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
            Ok(rows
                .into_iter()
                .map(|row| ClaimOverview {
                    status: row.status().as_str().to_string(),
                    email: row.email_normalized,
                    key_label: row.key_label,
                    limit: Usd::from_micros(row.limit_usd_micros),
                    usage: row.usage_usd_micros.map(Usd::from_micros),
                    claimed_at: row.attended_at,
                })
                .collect())
        }
        .await,
    )
}
