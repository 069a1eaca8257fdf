//! Who is calling: every server function that needs a person or an admin goes through
//! here, on the server, for every call.

use axum::http::HeaderMap;

use crate::error::AppError;
use crate::server::db::Attendee;
use crate::server::email::exact_address;
use crate::server::registry::Workshop;
use crate::server::state::{app_state, AppState};

/// The signed-in attendee of the current request, if any.
pub async fn current_attendee(state: &AppState) -> Result<Option<Attendee>, AppError> {
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|error| {
        tracing::error!(%error, "cannot read the request headers");
        AppError::Internal
    })?;
    Ok(crate::server::session::session_attendee(
        &state.database,
        state.session_cookie,
        &headers,
        chrono::Utc::now().timestamp(),
    )
    .await?)
}

/// The signed-in attendee, or `Unauthenticated`.
pub async fn require_attendee() -> Result<(AppState, Attendee), AppError> {
    let state = app_state()?;
    let attendee = current_attendee(&state)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok((state, attendee))
}

/// Global admins (`ADMIN_EMAILS`) and the workshop's own `admins`, by the exact verified
/// address (case-insensitive). Never by the normalised form: `orga+x@example.com` is not
/// `orga@example.com`'s stand-in, whatever one-key-per-person treats as one mailbox.
pub fn is_admin_of(state: &AppState, attendee: &Attendee, workshop: &Workshop) -> bool {
    let Some(email) = exact_address(&attendee.email) else {
        return false;
    };
    state.admin_emails.contains(&email) || workshop.admins.contains(&email)
}

/// Whether the caller administers any workshop at all (for the header's admin link).
pub fn is_admin_of_any(state: &AppState, attendee: &Attendee) -> bool {
    state
        .registry
        .listed(chrono::Utc::now())
        .iter()
        .any(|workshop| is_admin_of(state, attendee, workshop))
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
