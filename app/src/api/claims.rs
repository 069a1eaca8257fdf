//! Server functions for attendees: the workshop page, the claim, the key already
//! claimed, a fresh usage figure, the marketing choice. Each acts only for the signed-in
//! caller, identified from the session on the server.

use leptos::prelude::*;

use wire::error::AppError;
use wire::model::{ClaimPage, MyKey, WorkshopFigures};

/// Everything the workshop page shows, for whoever is looking (signed in or not).
#[server(endpoint = "get_claim_page")]
pub async fn get_claim_page(slug: String) -> Result<ClaimPage, AppError> {
    use crate::api::caller::{app_state, current_attendee};
    use engine::{claims, telemetry::record_slug};

    record_slug(&slug);
    let state = app_state()?;
    let viewer = current_attendee(&state).await?;
    claims::claim_page(&state, &slug, viewer).await
}

/// Claims the caller's key for workshop `slug`, or returns the one they already have.
/// `marketing_opt_in` is the optional checkbox next to the claim button (`on` when
/// ticked); the key never depends on it.
#[server(endpoint = "claim_key")]
pub async fn claim_key(slug: String, marketing_opt_in: Option<String>) -> Result<MyKey, AppError> {
    use crate::api::caller::require_attendee;
    use engine::{claims, telemetry::record_slug};

    record_slug(&slug);
    let (state, attendee) = require_attendee().await?;
    let opted_in = marketing_opt_in.is_some_and(|value| !value.is_empty());
    claims::claim(&state, &slug, attendee, opted_in).await
}

/// The caller's key for workshop `slug`, if they have claimed one. A signed-out visitor
/// has none: `Ok(None)`, not an error.
#[server(endpoint = "my_claim")]
pub async fn my_claim(slug: String) -> Result<Option<MyKey>, AppError> {
    use crate::api::caller::{app_state, current_attendee};
    use engine::{claims, telemetry::record_slug};

    record_slug(&slug);
    let state = app_state()?;
    let attendee = current_attendee(&state).await?;
    claims::my_claim(&state, &slug, attendee.as_ref()).await
}

/// The caller's usage fetched from OpenRouter now (at most every 30 s per key).
#[server(endpoint = "refresh_my_usage")]
pub async fn refresh_my_usage(slug: String) -> Result<MyKey, AppError> {
    use crate::api::caller::require_attendee;
    use engine::{claims, telemetry::record_slug};

    record_slug(&slug);
    let (state, attendee) = require_attendee().await?;
    claims::refresh_my_usage(&state, &slug, &attendee).await
}

/// Records (`opted_in` = `true`) or withdraws the caller's marketing opt-in here.
#[server(endpoint = "set_marketing_opt_in")]
pub async fn set_marketing_opt_in(slug: String, opted_in: bool) -> Result<bool, AppError> {
    use crate::api::caller::require_attendee;
    use engine::{claims, telemetry::record_slug};

    record_slug(&slug);
    let (state, attendee) = require_attendee().await?;
    claims::set_marketing_opt_in(&state, &slug, &attendee, opted_in).await
}

/// How full the workshop is, for the projector page. Public, with no names.
#[server(endpoint = "get_workshop_figures")]
pub async fn get_workshop_figures(slug: String) -> Result<WorkshopFigures, AppError> {
    use crate::api::caller::app_state;
    use engine::{claims, telemetry::record_slug};

    record_slug(&slug);
    let state = app_state()?;
    let workshop = claims::known_workshop(&state, &slug)?;
    claims::figures(&state, &workshop).await
}
