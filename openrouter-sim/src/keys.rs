//! HTTP handlers for `/keys`, `/keys/{hash}` and `/key`. Each checks auth, parses, and
//! hands one operation to the state under its lock.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use super::auth::{BearerToken, ManagementKey};
use super::error::ApiError;
use super::extract::{WireJson, WireQuery};
use super::wire::{
    CreateKeyRequest, CreatedKey, CurrentKey, Data, Deleted, Key, KeyListQuery, UpdateKeyRequest,
};
use super::Simulator;

pub(crate) async fn create(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    WireJson(request): WireJson<CreateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let created = simulator.state().create_key(request, Utc::now())?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub(crate) async fn list(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    WireQuery(query): WireQuery<KeyListQuery>,
) -> Result<Json<Data<Vec<Key>>>, ApiError> {
    // The spec types it as a string holding a boolean; anything else is a client bug.
    let include_disabled = match query.include_disabled.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "include_disabled must be \"true\" or \"false\", not {other:?}"
            )))
        }
    };
    let state = simulator.state();
    state.check_workspace(query.workspace_id.as_deref())?;
    let data = state.list_keys(query.offset.unwrap_or(0), include_disabled, Utc::now());
    Ok(Json(Data { data }))
}

pub(crate) async fn get(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(hash): Path<String>,
) -> Result<Json<Data<Key>>, ApiError> {
    let data = simulator.state().get_key(&hash, Utc::now())?;
    Ok(Json(Data { data }))
}

pub(crate) async fn update(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(hash): Path<String>,
    WireJson(request): WireJson<UpdateKeyRequest>,
) -> Result<Json<Data<Key>>, ApiError> {
    let data = simulator.state().update_key(&hash, request, Utc::now())?;
    Ok(Json(Data { data }))
}

pub(crate) async fn delete(
    State(simulator): State<Simulator>,
    _: ManagementKey,
    Path(hash): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    simulator.state().delete_key(&hash)?;
    Ok(Json(Deleted { deleted: true }))
}

/// `GET /key`: authenticated by the key being asked about, not the management key.
pub(crate) async fn current(
    State(simulator): State<Simulator>,
    BearerToken(token): BearerToken,
) -> Result<Json<Data<CurrentKey>>, ApiError> {
    let state = simulator.state();
    let data = if token == simulator.inner.management_key {
        state.management_key_info(&token)
    } else {
        state.current_key(&token, Utc::now())?
    };
    Ok(Json(Data { data }))
}
