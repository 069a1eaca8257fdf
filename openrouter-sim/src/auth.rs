//! Bearer-token checks, as extractors in the handler signatures: the management key for
//! management calls, any bearer token for `GET /key` (which identifies the caller).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::error::ApiError;
use super::Simulator;

/// Proof that the call carried the configured management key.
pub(crate) struct ManagementKey;

impl FromRequestParts<Simulator> for ManagementKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        simulator: &Simulator,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)?;
        if token == simulator.inner.management_key {
            Ok(ManagementKey)
        } else {
            Err(ApiError::Unauthorized(
                "Invalid management key: management keys are required for this operation"
                    .to_owned(),
            ))
        }
    }
}

/// The bearer token of the call, whatever key it is.
pub(crate) struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        bearer(&parts.headers).map(|token| BearerToken(token.to_owned()))
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let missing = || ApiError::Unauthorized("Missing Authentication header".to_owned());
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing());
    }
    Ok(token)
}
