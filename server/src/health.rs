//! `GET /healthz`: 200 when the database answers, 503 otherwise. For load balancers.

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde_json::json;

use app::server::state::AppState;

pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    match state.database.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok", "workshops": state.registry.len() })),
        ),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
