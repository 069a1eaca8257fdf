//! Who is calling: every server function that needs a person or an admin goes through
//! here, on the server, for every call. The state comes from the Leptos context the
//! host provides for each request; the rules themselves are `engine::access`.

use axum::http::HeaderMap;
use engine::access::is_admin_of;
use engine::db::Attendee;
use engine::registry::Workshop;
use engine::state::AppState;
use leptos::prelude::use_context;
use wire::error::AppError;

/// The state, from inside a server function or a component rendered on the server.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// The signed-in attendee of the current request, if any.
pub async fn current_attendee(state: &AppState) -> Result<Option<Attendee>, AppError> {
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|error| {
        tracing::error!(%error, "cannot read the request headers");
        AppError::Internal
    })?;
    Ok(engine::session::session_attendee(
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
