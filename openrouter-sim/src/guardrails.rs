//! HTTP handlers for `/guardrails` and `/guardrails/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use super::auth::ManagementKey;
use super::error::ApiError;
use super::extract::{WireJson, WireQuery};
use super::state::page_bounds;
use super::wire::{Data, Deleted, Guardrail, GuardrailRequest, Page, PageQuery};
use super::Simulator;

pub(crate) async fn create(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    WireJson(request): WireJson<GuardrailRequest>,
) -> Result<(StatusCode, Json<Data<Guardrail>>), ApiError> {
    let data = simulator.state().create_guardrail(request, Utc::now())?;
    Ok((StatusCode::CREATED, Json(Data { data })))
}

pub(crate) async fn list(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    WireQuery(query): WireQuery<PageQuery>,
) -> Result<Json<Page<Guardrail>>, ApiError> {
    let (offset, limit) = page_bounds(query.offset, query.limit)?;
    let state = simulator.state();
    state.check_workspace(query.workspace_id.as_deref())?;
    let (data, total_count) = state.list_guardrails(offset, limit);
    Ok(Json(Page { data, total_count }))
}

pub(crate) async fn get(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(id): Path<String>,
) -> Result<Json<Data<Guardrail>>, ApiError> {
    let data = simulator.state().get_guardrail(&id)?;
    Ok(Json(Data { data }))
}

pub(crate) async fn update(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(id): Path<String>,
    WireJson(request): WireJson<GuardrailRequest>,
) -> Result<Json<Data<Guardrail>>, ApiError> {
    let data = simulator
        .state()
        .update_guardrail(&id, request, Utc::now())?;
    Ok(Json(Data { data }))
}

pub(crate) async fn delete(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    simulator.state().delete_guardrail(&id)?;
    Ok(Json(Deleted { deleted: true }))
}
