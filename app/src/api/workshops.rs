//! Public workshop information (no admin lists, no budgets of others).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::WorkshopSummary;

/// Every workshop: open first, then upcoming, then closed.
#[server(endpoint = "list_workshops")]
pub async fn list_workshops() -> Result<Vec<WorkshopSummary>, AppError> {
    use crate::server::state::app_state;

    let state = app_state()?;
    let now = chrono::Utc::now();
    Ok(state
        .registry
        .listed(now)
        .iter()
        .map(|workshop| workshop.summary(now))
        .collect())
}

#[server(endpoint = "get_workshop")]
pub async fn get_workshop(slug: String) -> Result<WorkshopSummary, AppError> {
    use crate::components::response_status::respond_with;
    use crate::server::{registry::is_valid_slug, state::app_state};

    respond_with(
        async {
            // Checked before the lookup so the message never echoes arbitrary input.
            if !is_valid_slug(&slug) {
                return Err(AppError::NotFound("That workshop".into()));
            }
            let state = app_state()?;
            let workshop = state
                .registry
                .get(&slug)
                .ok_or_else(|| AppError::NotFound(format!("The workshop “{slug}”")))?;
            Ok(workshop.summary(chrono::Utc::now()))
        }
        .await,
    )
}
