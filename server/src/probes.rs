//! Probes for load balancers and orchestrators, on Kubernetes' contract:
//!
//! - `GET /livez`: the process answers. Nothing else is checked: a database blip must
//!   not get every instance restarted at once.
//! - `GET /readyz`: ready for traffic — the database answers, every migration this
//!   build knows is applied, and the instance is not draining. It turns 503 the moment
//!   SIGTERM arrives, while requests are still served, so a load balancer moves traffic
//!   away before the listener closes (see `drain`).
//! - `GET /healthz`: the same as `/readyz`, for setups made before the split.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::{extract::State, http::StatusCode, routing::get, Extension, Json, Router};
use serde_json::{json, Value};

use crate::site_state::SiteState;
use engine::state::AppState;

/// Set once the instance starts draining; never unset.
#[derive(Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

pub fn router(draining: Draining) -> Router<SiteState> {
    Router::new()
        .route("/livez", get(live))
        .route("/readyz", get(ready))
        .route("/healthz", get(ready))
        .layer(Extension(draining))
}

async fn live() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn ready(
    State(state): State<AppState>,
    Extension(draining): Extension<Draining>,
) -> (StatusCode, Json<Value>) {
    if draining.is_draining() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "draining" })),
        );
    }
    match state.database.pending_migrations().await {
        Ok(0) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "ok", "workshops": state.registry.len() })),
        ),
        Ok(pending) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "unavailable", "database": "migrations pending", "pending": pending }),
            ),
        ),
        Err(error) => {
            tracing::error!(%error, "readiness: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
