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
    use crate::server::{claims::known_workshop, state::app_state};

    respond_with(
        async {
            let workshop = known_workshop(&app_state()?, &slug)?;
            Ok(workshop.summary(chrono::Utc::now()))
        }
        .await,
    )
}
