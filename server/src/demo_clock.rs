//! `/_demo/clock`, demo mode only: moves the workshop calendar, so a demo (and the
//! browser tests) can show a workshop before it opens, after it closes and after its keys
//! expired, without waiting for the date. `GET` shows the offset; `POST`
//! `{"offset_secs": 86400}` sets it (0 to go back to real time; at most ten years either
//! way, and the answer says what was set). Absent in a real
//! deployment, where the calendar is the calendar.

use axum::{extract::State, routing::get, Json, Router};
use serde::{Deserialize, Serialize};

use crate::site_state::SiteState;
use engine::state::AppState;

#[derive(Serialize, Deserialize)]
pub struct ClockOffset {
    pub offset_secs: i64,
}

pub fn router() -> Router<SiteState> {
    Router::new().route("/_demo/clock", get(show).post(set))
}

async fn show(State(app): State<AppState>) -> Json<ClockOffset> {
    Json(ClockOffset {
        offset_secs: app.clock.offset_secs(),
    })
}

/// Sets the offset, clamped to ten years either way; answers the offset set.
async fn set(State(app): State<AppState>, Json(offset): Json<ClockOffset>) -> Json<ClockOffset> {
    let offset_secs = app.clock.set_offset_secs(offset.offset_secs);
    tracing::warn!(offset_secs, "demo clock moved");
    Json(ClockOffset { offset_secs })
}
