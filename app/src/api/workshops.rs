//! Public workshop information (no admin lists, no budgets of others).

use leptos::prelude::*;

use wire::error::AppError;
use wire::model::{Projector, WorkshopSummary};

/// Every workshop: open first, then upcoming, then closed.
#[server(endpoint = "list_workshops")]
pub async fn list_workshops() -> Result<Vec<WorkshopSummary>, AppError> {
    use crate::api::caller::app_state;

    let state = app_state()?;
    let now = state.clock.now();
    Ok(state
        .registry
        .listed(now)
        .iter()
        .map(|workshop| workshop.summary(now))
        .collect())
}

#[server(endpoint = "get_workshop")]
pub async fn get_workshop(slug: String) -> Result<WorkshopSummary, AppError> {
    use crate::api::caller::app_state;
    use engine::{claims::known_workshop, telemetry::record_slug};

    record_slug(&slug);
    let state = app_state()?;
    let workshop = known_workshop(&state, &slug)?;
    Ok(workshop.summary(state.clock.now()))
}

/// The projector page: the claim URL, its QR code, and how full the workshop is.
#[server(endpoint = "get_projector")]
pub async fn get_projector(slug: String) -> Result<Projector, AppError> {
    use crate::api::caller::app_state;
    use engine::{projector::projector, telemetry::record_slug};

    record_slug(&slug);
    projector(&app_state()?, &slug).await
}
