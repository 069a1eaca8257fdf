//! Who is calling: every server function that needs a person or an admin goes through
//! here, on the server, for every call.

use axum::http::HeaderMap;

use crate::error::AppError;
use crate::server::db::Attendee;
use crate::server::registry::Workshop;
use crate::server::state::{app_state, AppState};

/// The signed-in attendee of the current request, if any.
pub async fn current_attendee(state: &AppState) -> Result<Option<Attendee>, AppError> {
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|error| {
        tracing::error!(%error, "cannot read the request headers");
        AppError::Internal
    })?;
    crate::server::session::session_attendee(
        &state.database,
        state.session_cookie,
        &headers,
        chrono::Utc::now().timestamp(),
    )
    .await
    .map_err(|error| {
        tracing::error!(%error, "session lookup failed");
        AppError::Internal
    })
}

/// The signed-in attendee, or `Unauthenticated`.
pub async fn require_attendee() -> Result<(AppState, Attendee), AppError> {
    let state = app_state()?;
    let attendee = current_attendee(&state)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok((state, attendee))
}

/// Global admins (`ADMIN_EMAILS`) and the workshop's own `admins`, by normalised email.
pub fn is_admin_of(state: &AppState, attendee: &Attendee, workshop: &Workshop) -> bool {
    let email = &attendee.email_normalized;
    state.admin_emails.contains(email) || workshop.admins.contains(email)
}

/// The signed-in admin of `slug`: `Unauthenticated` for nobody, `Forbidden` for anyone
/// else. An unknown workshop is `Forbidden` too, so the answer does not reveal which
/// slugs exist.
pub async fn require_admin_of(
    slug: &str,
) -> Result<(AppState, Attendee, std::sync::Arc<Workshop>), AppError> {
    let (state, attendee) = require_attendee().await?;
    match state.registry.get(slug) {
        Some(workshop) if is_admin_of(&state, &attendee, &workshop) => {
            Ok((state, attendee, workshop))
        }
        _ => Err(AppError::Forbidden),
    }
}
