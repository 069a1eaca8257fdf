//! Non-spec routes under `/_simulator`, for steering a simulator from outside the
//! process (a benchmark script, curl during a demo). They mirror the Rust API, need the
//! management key, and are neither counted nor disturbed by faults.
//!
//! - `GET /_simulator/state`: keys (no plaintext), guardrails, assignments, call counts
//! - `POST /_simulator/keys/{hash}/usage` `{"usd": 1.5}`: adds usage to a key
//! - `GET /_simulator/faults`: latency and rules in force
//! - `POST /_simulator/faults` with a [`FaultRule`]: adds it
//! - `PUT /_simulator/faults/latency` `{"latency_ms": 200}`: sets the added latency
//! - `POST /_simulator/outage` `{"kind": "hang" | "unavailable", "seconds": 30}`: every
//!   call fails for that long (`"seconds": 0` ends it)
//! - `DELETE /_simulator/faults`: clears rules, the outage and latency

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::ManagementKey;
use super::error::{self, ApiError};
use super::extract::WireJson;
use super::wire::{Data, Guardrail, Key, KeyAssignment};
use super::{lock, FaultRule, OutageKind, SimKey, Simulator};

pub(crate) fn router() -> Router<Simulator> {
    Router::new()
        .route("/state", get(state))
        .route("/keys/{hash}/usage", post(add_usage))
        .route("/faults", get(faults).post(inject).delete(clear))
        .route("/faults/latency", put(set_latency))
        .route("/outage", post(start_outage))
        .method_not_allowed_fallback(error::method_not_allowed)
}

#[derive(Serialize)]
struct Snapshot {
    workspace_id: String,
    keys: Vec<SimKey>,
    guardrails: Vec<Guardrail>,
    assignments: Vec<KeyAssignment>,
    calls: BTreeMap<String, u64>,
    faults: Faults,
}

#[derive(Serialize)]
struct Faults {
    latency_ms: u64,
    rules: Vec<FaultRule>,
    /// Seconds of outage left, when one is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    outage_seconds_left: Option<u64>,
}

#[derive(Deserialize)]
struct UsageRequest {
    usd: f64,
}

#[derive(Deserialize)]
struct LatencyRequest {
    latency_ms: u64,
}

#[derive(Deserialize)]
struct OutageRequest {
    #[serde(flatten)]
    kind: OutageKind,
    seconds: u64,
}

async fn state(State(simulator): State<Simulator>, _: ManagementKey) -> Json<Snapshot> {
    Json(Snapshot {
        workspace_id: simulator.workspace_id(),
        keys: simulator.keys(),
        guardrails: simulator.guardrails(),
        assignments: simulator.assignments(),
        calls: simulator.call_counts(),
        faults: faults_of(&simulator),
    })
}

async fn add_usage(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(hash): Path<String>,
    WireJson(request): WireJson<UsageRequest>,
) -> Result<Json<Data<Key>>, ApiError> {
    if !simulator.add_usage(&hash, request.usd) {
        return Err(ApiError::not_found("API key not found"));
    }
    let key = simulator
        .key(&hash)
        .ok_or_else(|| ApiError::not_found("API key not found"))?;
    Ok(Json(Data { data: key.data }))
}

async fn faults(State(simulator): State<Simulator>, _: ManagementKey) -> Json<Faults> {
    Json(faults_of(&simulator))
}

async fn inject(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    WireJson(rule): WireJson<FaultRule>,
) -> Result<Json<Faults>, ApiError> {
    simulator
        .inject(rule)
        .map_err(|invalid| ApiError::bad_request(invalid.to_string()))?;
    Ok(Json(faults_of(&simulator)))
}

async fn set_latency(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    WireJson(request): WireJson<LatencyRequest>,
) -> Json<Faults> {
    simulator.set_latency(Duration::from_millis(request.latency_ms));
    Json(faults_of(&simulator))
}

async fn start_outage(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    WireJson(request): WireJson<OutageRequest>,
) -> Json<Faults> {
    simulator.outage(request.kind, Duration::from_secs(request.seconds));
    Json(faults_of(&simulator))
}

async fn clear(State(simulator): State<Simulator>, _: ManagementKey) -> Json<Faults> {
    simulator.clear_faults();
    Json(faults_of(&simulator))
}

fn faults_of(simulator: &Simulator) -> Faults {
    let book = lock(&simulator.inner.faults);
    let outage_seconds_left = book.outage.and_then(|(_, until)| {
        until
            .checked_duration_since(std::time::Instant::now())
            .map(|left| left.as_secs())
    });
    Faults {
        latency_ms: u64::try_from(book.latency.as_millis()).unwrap_or(u64::MAX),
        rules: book.rules.clone(),
        outage_seconds_left,
    }
}
