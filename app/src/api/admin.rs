//! Server functions for a workshop's organisers. Every call checks, on the server, that
//! the caller is signed in (401 otherwise) and an admin of that workshop (403 otherwise,
//! also for a workshop that does not exist, so the answer does not reveal which do).

use leptos::prelude::*;

use wire::error::AppError;
use wire::model::{
    AdminOverview, AdminWorkshop, BulkTopUpReport, ChangeMark, ClaimRow, ClaimsTable,
    DisableReport, GuardrailDrift, RetryReport, SyncNowOutcome, TopUpPreview,
};

/// The workshops the caller administers (global admins: all).
#[server(endpoint = "list_my_workshops")]
pub async fn list_my_workshops() -> Result<AdminOverview, AppError> {
    use crate::api::caller::require_attendee;
    use engine::admin;

    let (state, attendee) = require_attendee().await?;
    admin::my_workshops(&state, &attendee).await
}

/// Figures, charts and configuration of one workshop.
#[server(endpoint = "get_admin_workshop")]
pub async fn get_admin_workshop(slug: String) -> Result<AdminWorkshop, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::admin_workshop(&state, &workshop).await
}

/// One page of the attendee table: `search` in email or name, `status` (`bound`,
/// `unbound`, `preparing`, `failed`, `disabled`, or empty for all), `sort` (`newest`,
/// `oldest`, `most-spent`, `least-spent`), `page` from 1.
#[server(endpoint = "list_claims")]
pub async fn list_claims(
    slug: String,
    search: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
) -> Result<ClaimsTable, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};
    use wire::model::{RowStatus, SortBy};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    let status = match status.as_deref().unwrap_or_default() {
        "" => None,
        text => Some(
            RowStatus::parse(text)
                .ok_or_else(|| AppError::InvalidInput("That is not a status.".into()))?,
        ),
    };
    let sort = match sort.as_deref().unwrap_or_default() {
        "" => SortBy::default(),
        text => SortBy::parse(text)
            .ok_or_else(|| AppError::InvalidInput("That is not an order.".into()))?,
    };
    admin::claims_table(
        &state,
        &workshop,
        search.as_deref().unwrap_or_default(),
        status,
        sort,
        page.unwrap_or(1),
    )
    .await
}

/// What changed last: the live page polls this and reloads only when it moves.
#[server(endpoint = "get_change_mark")]
pub async fn get_change_mark(slug: String) -> Result<ChangeMark, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::change_mark(&state, &workshop).await
}

/// Finishes one attendee's claim (`row` is its id from the table): mints a key for a
/// reservation that has none, or assigns an unbound key to the workshop guardrail.
#[server(endpoint = "retry_binding")]
pub async fn retry_binding(slug: String, row: String) -> Result<ClaimRow, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::retry_row(&state, workshop, &row).await
}

/// Raises the key of row `row` by `add_usd` dollars (`1`, `2.50`) on OpenRouter, within
/// the workshop's cap and `max_key_limit_usd`; answers the row as it is now.
#[server(endpoint = "top_up_key")]
pub async fn top_up_key(slug: String, row: String, add_usd: String) -> Result<ClaimRow, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{telemetry::record_slug, top_up};

    record_slug(&slug);
    let (state, admin, workshop) = require_admin_of(&slug).await?;
    let add = top_up::parse_amount(&add_usd)?;
    top_up::top_up_key(&state, &workshop, &row, add, &admin.email).await
}

/// What topping up every key spent above 80 % by `add_usd` would do: which keys, what
/// it commits, how many the cap leaves room for.
#[server(endpoint = "preview_top_up_low")]
pub async fn preview_top_up_low(slug: String, add_usd: String) -> Result<TopUpPreview, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{telemetry::record_slug, top_up};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    let add = top_up::parse_amount(&add_usd)?;
    top_up::preview_low_keys(&state, &workshop, add).await
}

/// Tops up by `add_usd` the keys of `rows` (the preview's, a few per call, so the page
/// shows progress) or, without `rows`, every key spent above 80 % now; one after
/// another, stopping at the workshop's cap.
#[server(endpoint = "top_up_low")]
pub async fn top_up_low(
    slug: String,
    add_usd: String,
    rows: Option<Vec<String>>,
) -> Result<BulkTopUpReport, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{telemetry::record_slug, top_up};

    record_slug(&slug);
    let (state, admin, workshop) = require_admin_of(&slug).await?;
    let add = top_up::parse_amount(&add_usd)?;
    top_up::top_up_low_keys(&state, &workshop, add, rows, &admin.email).await
}

/// Assigns every unbound key of the workshop to its guardrail, in bulk calls.
#[server(endpoint = "retry_all_unbound")]
pub async fn retry_all_unbound(slug: String) -> Result<RetryReport, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::retry_all_unbound(&state, &workshop).await
}

/// Refreshes usage figures from OpenRouter now.
#[server(endpoint = "sync_usage_now")]
pub async fn sync_usage_now(slug: String) -> Result<SyncNowOutcome, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::sync_usage_now(&state, &workshop).await
}

/// Disables (`disabled` = `true`) or enables one attendee's key on OpenRouter.
#[server(endpoint = "set_key_disabled")]
pub async fn set_key_disabled(
    slug: String,
    row: String,
    disabled: bool,
) -> Result<ClaimRow, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::set_key_disabled(&state, &workshop, &row, disabled).await
}

/// Disables every key of the workshop (its end); `confirmation` must be the slug.
#[server(endpoint = "disable_all_keys")]
pub async fn disable_all_keys(
    slug: String,
    confirmation: String,
) -> Result<DisableReport, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::disable_all_keys(&state, &workshop, &confirmation).await
}

/// The guardrail on OpenRouter against the workshop file.
#[server(endpoint = "get_guardrail_drift")]
pub async fn get_guardrail_drift(slug: String) -> Result<GuardrailDrift, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::guardrail_drift(&state, &workshop).await
}

/// Sends the workshop file's models and limit to the guardrail again.
#[server(endpoint = "reapply_guardrail")]
pub async fn reapply_guardrail(slug: String) -> Result<GuardrailDrift, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::reapply_guardrail(&state, &workshop).await
}

/// Demo mode only: spend on some keys, then sync, so the charts and bars move.
#[server(endpoint = "simulate_activity")]
pub async fn simulate_activity(slug: String) -> Result<i64, AppError> {
    use crate::api::caller::require_admin_of;
    use engine::{admin, telemetry::record_slug};

    record_slug(&slug);
    let (state, _admin, workshop) = require_admin_of(&slug).await?;
    admin::simulate_activity(&state, &workshop).await
}
