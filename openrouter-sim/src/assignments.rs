//! HTTP handlers for key assignments: `/guardrails/{id}/assignments/keys` (list, assign),
//! `.../remove` (unassign) and `/guardrails/assignments/keys` (every assignment).

use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;

use super::auth::ManagementKey;
use super::error::ApiError;
use super::extract::{WireJson, WireQuery};
use super::state::page_bounds;
use super::wire::{
    AssignedCount, KeyAssignment, KeyHashesRequest, Page, PageQuery, UnassignedCount,
};
use super::Simulator;

pub(crate) async fn assign(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(id): Path<String>,
    WireJson(request): WireJson<KeyHashesRequest>,
) -> Result<Json<AssignedCount>, ApiError> {
    let assigned_count = simulator
        .state()
        .assign_keys(&id, &request.key_hashes, Utc::now())?;
    Ok(Json(AssignedCount { assigned_count }))
}

pub(crate) async fn unassign(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(id): Path<String>,
    WireJson(request): WireJson<KeyHashesRequest>,
) -> Result<Json<UnassignedCount>, ApiError> {
    let unassigned_count = simulator.state().unassign_keys(&id, &request.key_hashes)?;
    Ok(Json(UnassignedCount { unassigned_count }))
}

pub(crate) async fn list(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(id): Path<String>,
    WireQuery(query): WireQuery<PageQuery>,
) -> Result<Json<Page<KeyAssignment>>, ApiError> {
    let (offset, limit) = page_bounds(query.offset, query.limit)?;
    let (data, total_count) = simulator
        .state()
        .list_assignments(Some(&id), offset, limit)?;
    Ok(Json(Page { data, total_count }))
}

pub(crate) async fn list_all(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    WireQuery(query): WireQuery<PageQuery>,
) -> Result<Json<Page<KeyAssignment>>, ApiError> {
    let (offset, limit) = page_bounds(query.offset, query.limit)?;
    let (data, total_count) = simulator.state().list_assignments(None, offset, limit)?;
    Ok(Json(Page { data, total_count }))
}
