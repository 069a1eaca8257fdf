//! Server functions for attendees: claim a key, and see the key already claimed. Both
//! act only for the signed-in caller, identified from the session on the server.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::{Usd, WorkshopTime};

/// The caller's own key, as the claim page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyKey {
    /// The plaintext key: shown only to its owner.
    pub key: String,
    /// OpenRouter's masked form, safe to show anywhere.
    pub label: String,
    /// `false` while the key is not yet assigned to the workshop guardrail (it works,
    /// and the assignment is retried automatically).
    pub bound: bool,
    pub limit: Usd,
    /// Spend as of `usage_synced_at` (UTC unix seconds); `None` before the first sync.
    pub usage: Option<Usd>,
    pub usage_synced_at: Option<i64>,
    /// When the key stops working, shown like the page's other times.
    pub expires: WorkshopTime,
    pub claimed_at: i64,
}

/// Claims the caller's key for workshop `slug`, or returns the one they already have.
#[server(endpoint = "claim_key")]
pub async fn claim_key(slug: String) -> Result<MyKey, AppError> {
    use crate::components::response_status::respond_with;
    use crate::server::{
        auth::require_attendee,
        claims::{known_workshop, my_key},
    };

    respond_with(
        async {
            let (state, attendee) = require_attendee().await?;
            let workshop = known_workshop(&state, &slug)?;
            let (title, workshop_zone) = (workshop.title.clone(), workshop.timezone);
            let row = state
                .minter
                .claim(workshop, attendee, chrono::Utc::now())
                .await
                .map_err(|error| error.into_app_error(&title))?;
            my_key(row, &workshop_zone).ok_or_else(|| {
                tracing::error!("a finished claim has no key");
                AppError::Internal
            })
        }
        .await,
    )
}

/// The caller's key for workshop `slug`, if they have claimed one. A signed-out visitor
/// has none: `Ok(None)`, not an error, because every workshop page asks.
#[server(endpoint = "my_claim")]
pub async fn my_claim(slug: String) -> Result<Option<MyKey>, AppError> {
    use crate::components::response_status::respond_with;
    use crate::server::{
        auth::current_attendee,
        claims::{find_own_row, known_workshop, my_key, refresh_if_stale},
        state::app_state,
    };

    respond_with(
        async {
            let state = app_state()?;
            let workshop = known_workshop(&state, &slug)?;
            let Some(attendee) = current_attendee(&state).await? else {
                return Ok(None);
            };
            let row = find_own_row(&state, &attendee, &workshop.slug).await?;
            if let Some(row) = &row {
                refresh_if_stale(&state, &workshop, row);
            }
            Ok(row.and_then(|row| my_key(row, &workshop.timezone)))
        }
        .await,
    )
}
