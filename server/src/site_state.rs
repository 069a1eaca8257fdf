//! The router's state: the engine's [`AppState`] and Leptos's options beside it. Handlers
//! take `State<AppState>` (axum finds it here by `FromRef`); only the page rendering
//! needs the options.

use axum::extract::FromRef;
use engine::state::AppState;
use leptos::config::LeptosOptions;

#[derive(Clone, FromRef)]
pub struct SiteState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
}
