//! The organiser's side, for the admin server functions (which have already checked the
//! caller): the workshops they run, a workshop's figures, charts and table, the actions
//! that fix or end things (retry, sync, disable, re-apply the guardrail), and — in demo
//! mode — simulated activity. Never a plaintext key: rows carry OpenRouter's masked label.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::access::is_admin_of;
use crate::db::row_status::row_status;
use crate::db::{
    shown_label, AdminRow, Attendee, ClaimsPageQuery, TopUp, ORDER_LEAST_SPENT, ORDER_MOST_SPENT,
    ORDER_NEWEST, ORDER_OLDEST,
};
use crate::guardrail::settings_for;
use crate::openrouter::{asked_by_a_person, KeyUpdate};
use crate::registry::Workshop;
use crate::state::AppState;
use crate::time_format::workshop_time;
use crate::usage_sync::{SyncError, SyncOutcome};
use wire::error::AppError;
use wire::model::{
    AdminCharts, AdminFigures, AdminOverview, AdminWorkshop, AdminWorkshopCard, ChangeMark,
    ClaimRow, ClaimsTable, DisableReport, GuardrailDrift, PoolFigures, RetryReport, RowStatus,
    SortBy, Spender, SyncNowOutcome, TimeBucket, TopUpRecord, Usd, WorkshopConfig, ROWS_PER_PAGE,
};

/// How many buckets the claims-over-time chart has.
const TIME_BUCKETS: i64 = 24;
/// How many keys "disable all" changes at once.
const DISABLE_CONCURRENCY: usize = 8;

/// The workshops `attendee` administers (global admins: all), open ones first.
pub async fn my_workshops(
    state: &AppState,
    attendee: &Attendee,
) -> Result<AdminOverview, AppError> {
    let now = state.clock.now();
    let mut cards = Vec::new();
    for workshop in state.registry.listed(now) {
        if !is_admin_of(state, attendee, &workshop) {
            continue;
        }
        cards.push(AdminWorkshopCard {
            figures: figures(state, &workshop).await?,
            workshop: workshop.summary(now),
        });
    }
    Ok(AdminOverview {
        now: Utc::now().timestamp(),
        workshops: cards,
    })
}

pub async fn figures(state: &AppState, workshop: &Workshop) -> Result<AdminFigures, AppError> {
    let counts = state
        .database
        .figure_counts(&workshop.slug, Utc::now().timestamp())
        .await?;
    Ok(AdminFigures {
        claimed: counts.claimed,
        places: workshop.max_attendees,
        committed: Usd::from_micros(counts.committed),
        spent: Usd::from_micros(counts.spent),
        limit: workshop.limit,
        bound: counts.bound,
        unbound: counts.unbound,
        preparing: counts.preparing,
        failed: counts.failed,
        disabled: counts.disabled,
        last_sync: counts.last_sync,
    })
}

async fn pool_figures(
    state: &AppState,
    workshop: &Workshop,
    now: DateTime<Utc>,
) -> Result<PoolFigures, AppError> {
    let status = state.minter.pool().status(workshop, now).await?;
    Ok(PoolFigures {
        enabled: !workshop.key_pool.is_off(),
        filling: status.phase_filling,
        lead_minutes: (state.minter.settings().pool.lead.as_secs() / 60) as i64,
        target: status.target,
        ready: status.ready,
        minting: status.minting,
        deleted_at_close: status.deleted_at_close,
    })
}

/// Everything of `/admin/<slug>` but the table.
pub async fn admin_workshop(
    state: &AppState,
    workshop: &Workshop,
) -> Result<AdminWorkshop, AppError> {
    let mark = change_mark(state, workshop).await?;
    let now = state.clock.now();
    Ok(AdminWorkshop {
        workshop: workshop.summary(now),
        config: WorkshopConfig {
            key_limit: workshop.key_limit,
            limit: workshop.limit,
            max_attendees: workshop.max_attendees,
            allowed_models: workshop.allowed_models.clone(),
            allowed_email_domains: workshop.allowed_email_domains.clone(),
            admins: workshop.admins.clone(),
            marketing_opt_in: workshop.marketing_opt_in_text.is_some(),
        },
        figures: figures(state, workshop).await?,
        pool: pool_figures(state, workshop, now).await?,
        charts: charts(state, workshop, now).await?,
        demo_mode: state.demo_mode,
        now: Utc::now().timestamp(),
        // Read first: a change landing while the figures are read shows as a change.
        mark,
    })
}

async fn charts(
    state: &AppState,
    workshop: &Workshop,
    now: DateTime<Utc>,
) -> Result<AdminCharts, AppError> {
    let inputs = state.database.chart_inputs(&workshop.slug).await?;
    let mut spend_histogram = vec![0_i64; 10];
    for (_, spent, limit) in &inputs {
        let share = spent.unwrap_or(0).max(0) * 10 / (*limit).max(1);
        spend_histogram[share.clamp(0, 9) as usize] += 1;
    }
    let top_spenders = state
        .database
        .top_spenders(&workshop.slug, 10)
        .await?
        .into_iter()
        .map(|(email, name, spent, limit)| Spender {
            who: name.filter(|name| !name.is_empty()).unwrap_or(email),
            spent: Usd::from_micros(spent),
            limit: Usd::from_micros(limit),
        })
        .collect();
    Ok(AdminCharts {
        claims_over_time: claims_over_time(workshop, &inputs, now),
        spend_histogram,
        top_spenders,
    })
}

/// Claims per bucket, from the first claim (or the window's opening) to now (or the
/// window's close): the part of the window that has happened.
fn claims_over_time(
    workshop: &Workshop,
    inputs: &[(i64, Option<i64>, i64)],
    now: DateTime<Utc>,
) -> Vec<TimeBucket> {
    let opens = workshop.claims_open_at.timestamp();
    let start = inputs
        .first()
        .map(|(at, _, _)| *at)
        .unwrap_or(opens)
        .max(opens);
    let end = now
        .timestamp()
        .min(workshop.claims_close_at.timestamp())
        .max(inputs.last().map(|(at, _, _)| *at).unwrap_or(start))
        .max(start + 60);
    let width = ((end - start) / TIME_BUCKETS).max(30);
    let buckets = ((end - start) / width + 1).clamp(1, TIME_BUCKETS + 1);
    let mut counts = vec![0_i64; buckets as usize];
    for (at, _, _) in inputs {
        let index = ((at - start) / width).clamp(0, buckets - 1);
        counts[index as usize] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .filter_map(|(index, claims)| {
            let starts = DateTime::from_timestamp(start + index as i64 * width, 0)?;
            Some(TimeBucket {
                starts: workshop_time(starts, workshop.timezone),
                claims,
            })
        })
        .collect()
}

/// A row as the table shows it, with its applied top-ups (`top_ups`: this row's, or a
/// whole workshop's: only the row's are kept).
pub fn claim_row(row: AdminRow, workshop: &Workshop, now: i64, top_ups: &[TopUp]) -> ClaimRow {
    let status = row_status(&row.attendance, now);
    let attendance = row.attendance;
    let top_ups = top_ups
        .iter()
        .filter(|top_up| top_up.user_id == attendance.user_id && top_up.state == "applied")
        .map(|top_up| TopUpRecord {
            by: top_up.topped_up_by.clone(),
            at: workshop_time(
                DateTime::from_timestamp(top_up.settled_at.unwrap_or(top_up.created_at), 0)
                    .unwrap_or_default(),
                workshop.timezone,
            ),
            added: Usd::from_micros(top_up.added_usd_micros),
            limit_after: Usd::from_micros(top_up.limit_after_micros),
        })
        .collect();
    let claimed_at = DateTime::from_timestamp(attendance.attended_at, 0).unwrap_or_default();
    ClaimRow {
        id: attendance.key_name,
        email: row.email,
        name: row.display_name,
        provider: row.auth_provider,
        claimed_at: workshop_time(claimed_at, workshop.timezone),
        status,
        key_label: attendance.key_label.as_deref().map(shown_label),
        limit: Usd::from_micros(attendance.limit_usd_micros),
        spent: attendance.usage_usd_micros.map(Usd::from_micros),
        remaining: attendance.limit_remaining_usd_micros.map(Usd::from_micros),
        last_error: attendance.last_error,
        synced_at: attendance.usage_synced_at,
        topped_up: Usd::from_micros(attendance.topped_up_usd_micros),
        top_ups,
    }
}

/// One page of the table: `search` in email or name, `status`, `sort`, `page` (1-based).
pub async fn claims_table(
    state: &AppState,
    workshop: &Workshop,
    search: &str,
    status: Option<RowStatus>,
    sort: SortBy,
    page: i64,
) -> Result<ClaimsTable, AppError> {
    if search.chars().count() > 200 {
        return Err(AppError::InvalidInput("That search is too long.".into()));
    }
    let now = Utc::now().timestamp();
    let order = match sort {
        SortBy::Newest => ORDER_NEWEST,
        SortBy::Oldest => ORDER_OLDEST,
        SortBy::MostSpent => ORDER_MOST_SPENT,
        SortBy::LeastSpent => ORDER_LEAST_SPENT,
    };
    let (page, offset) = page_window(page);
    let (rows, total) = state
        .database
        .table_page(&ClaimsPageQuery {
            workshop_slug: &workshop.slug,
            search: search.trim(),
            status,
            order,
            limit: ROWS_PER_PAGE,
            offset,
            now,
        })
        .await?;
    let top_ups = state.database.applied_top_ups(&workshop.slug).await?;
    Ok(ClaimsTable {
        rows: rows
            .into_iter()
            .map(|row| claim_row(row, workshop, now, &top_ups))
            .collect(),
        total,
        page,
        pages: ((total + ROWS_PER_PAGE - 1) / ROWS_PER_PAGE).max(1),
        now,
    })
}

/// The furthest page a URL may ask for: far beyond any workshop (50 million rows).
const MAX_PAGE: i64 = 1_000_000;

/// A requested page (any number a URL carries) as a page that exists in arithmetic and
/// its row offset: never negative, never overflowing, whatever `page` is.
fn page_window(page: i64) -> (i64, i64) {
    let page = page.clamp(1, MAX_PAGE);
    (page, (page - 1).saturating_mul(ROWS_PER_PAGE))
}

pub async fn change_mark(state: &AppState, workshop: &Workshop) -> Result<ChangeMark, AppError> {
    let (rows, last_update, last_sync, digest) = state.database.change_mark(&workshop.slug).await?;
    Ok(ChangeMark {
        rows,
        last_update,
        last_sync,
        digest,
        pool: state.database.pool_mark(&workshop.slug).await?,
    })
}

/// The row `id` as the table shows it, read now.
pub async fn table_row(
    state: &AppState,
    workshop: &Workshop,
    id: &str,
) -> Result<ClaimRow, AppError> {
    let row = find_row(state, workshop, id).await?;
    let top_ups = state
        .database
        .top_ups_of(&workshop.slug, &row.attendance.user_id)
        .await?;
    Ok(claim_row(row, workshop, Utc::now().timestamp(), &top_ups))
}

/// The row `id` (its key name) of the workshop, with its attendee.
pub async fn find_row(
    state: &AppState,
    workshop: &Workshop,
    id: &str,
) -> Result<AdminRow, AppError> {
    state
        .database
        .admin_row(&workshop.slug, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That claim".into()))
}

/// Mints a reserved row's key, or binds a minted one.
pub async fn retry_row(
    state: &AppState,
    workshop: Arc<Workshop>,
    id: &str,
) -> Result<ClaimRow, AppError> {
    let row = find_row(state, &workshop, id).await?;
    let title = workshop.title.clone();
    state
        .minter
        .retry_row(workshop.clone(), row.attendance, state.clock.now())
        .await
        .map_err(|error| error.into_app_error(&title))?;
    table_row(state, &workshop, id).await
}

pub async fn retry_all_unbound(
    state: &AppState,
    workshop: &Workshop,
) -> Result<RetryReport, AppError> {
    let report = asked_by_a_person(state.minter.bind_unbound(workshop, state.clock.now()))
        .await
        .map_err(|error| error.into_app_error(&workshop.title))?;
    Ok(RetryReport {
        bound: report.bound as i64,
        still_unbound: report.still_unbound as i64,
    })
}

/// An organiser's "Sync usage now". Not a probe past the breaker (an account listing is
/// the heaviest call we make), and not repeated within the cooldown: the answer then
/// says how old the figures shown are.
pub async fn sync_usage_now(
    state: &AppState,
    workshop: &Workshop,
) -> Result<SyncNowOutcome, AppError> {
    let now = Utc::now().timestamp();
    let outcome = state
        .usage_sync
        .sync_now_for(&workshop.slug, now)
        .await
        .map_err(sync_error)?;
    Ok(match outcome {
        SyncOutcome::Synced(report) => SyncNowOutcome::Synced {
            keys_updated: report.rows_updated as i64,
            list_calls: report.list_calls as i64,
        },
        SyncOutcome::Fresh { synced_at } => SyncNowOutcome::Recent {
            synced_secs_ago: (now - synced_at).max(0),
        },
        SyncOutcome::Busy | SyncOutcome::BackingOff { .. } => SyncNowOutcome::AlreadyRunning,
    })
}

fn sync_error(error: SyncError) -> AppError {
    match error {
        SyncError::OpenRouter(error) => {
            tracing::warn!(%error, "usage sync failed at OpenRouter");
            AppError::from(error)
        }
        SyncError::Database(error) => error.into(),
    }
}

/// Disables or enables one key on OpenRouter (`PATCH /keys/{hash}`), and records it.
pub async fn set_key_disabled(
    state: &AppState,
    workshop: &Workshop,
    id: &str,
    disabled: bool,
) -> Result<ClaimRow, AppError> {
    let row = find_row(state, workshop, id).await?;
    let Some(hash) = row.attendance.key_hash().map(str::to_string) else {
        return Err(AppError::InvalidInput("That claim has no key yet.".into()));
    };
    let update = KeyUpdate {
        disabled: Some(disabled),
        ..KeyUpdate::default()
    };
    asked_by_a_person(state.minter.client().update_key(&hash, &update))
        .await
        .map_err(|error| {
            tracing::warn!(%error, "changing a key's disabled state failed");
            AppError::from(error)
        })?;
    state
        .database
        .set_key_disabled(&hash, disabled, Utc::now().timestamp())
        .await?;
    table_row(state, workshop, id).await
}

/// The end of a workshop: every key disabled. `confirmation` must be the slug, typed.
pub async fn disable_all_keys(
    state: &AppState,
    workshop: &Workshop,
    confirmation: &str,
) -> Result<DisableReport, AppError> {
    if confirmation.trim() != workshop.slug {
        return Err(AppError::InvalidInput(format!(
            "Type the workshop's name, {}, to disable all of its keys.",
            workshop.slug
        )));
    }
    let hashes = state.database.enabled_key_hashes(&workshop.slug).await?;
    let permits = Arc::new(tokio::sync::Semaphore::new(DISABLE_CONCURRENCY));
    let mut work = tokio::task::JoinSet::new();
    for hash in hashes {
        let (state, permits) = (state.clone(), permits.clone());
        work.spawn(async move {
            let _permit = permits.acquire().await;
            let update = KeyUpdate {
                disabled: Some(true),
                ..KeyUpdate::default()
            };
            asked_by_a_person(state.minter.client().update_key(&hash, &update)).await?;
            if let Err(error) = state
                .database
                .set_key_disabled(&hash, true, Utc::now().timestamp())
                .await
            {
                tracing::error!(%error, "recording a disabled key failed");
            }
            Ok::<_, crate::openrouter::OpenRouterError>(())
        });
    }
    let mut report = DisableReport {
        disabled: 0,
        failed: 0,
    };
    while let Some(outcome) = work.join_next().await {
        match outcome {
            Ok(Ok(())) => report.disabled += 1,
            Ok(Err(error)) => {
                tracing::warn!(%error, "disabling a key failed");
                report.failed += 1;
            }
            Err(_) => report.failed += 1,
        }
    }
    tracing::warn!(
        disabled = report.disabled,
        failed = report.failed,
        "all keys of a workshop disabled"
    );
    Ok(report)
}

/// The guardrail on OpenRouter compared with the workshop file.
pub async fn guardrail_drift(
    state: &AppState,
    workshop: &Workshop,
) -> Result<GuardrailDrift, AppError> {
    let wanted = settings_for(workshop);
    let record = state.database.guardrail_record(&workshop.slug).await?;
    let mut drift = GuardrailDrift {
        id: record.as_ref().map(|record| record.guardrail_id.clone()),
        file_models: wanted.allowed_models.clone(),
        live_models: None,
        file_limit: workshop.limit,
        live_limit: None,
        differences: Vec::new(),
    };
    let Some(record) = record else {
        drift
            .differences
            .push("The guardrail has not been created on OpenRouter yet.".into());
        return Ok(drift);
    };
    let live = state
        .minter
        .client()
        .get_guardrail(&record.guardrail_id)
        .await
        .map_err(AppError::from)?;
    let Some(live) = live else {
        drift
            .differences
            .push("The guardrail is gone from OpenRouter.".into());
        return Ok(drift);
    };
    let live_models = live.allowed_models.clone().unwrap_or_default();
    for model in &wanted.allowed_models {
        if !live_models.iter().any(|live| same_model(live, model)) {
            drift
                .differences
                .push(format!("{model} is missing on OpenRouter."));
        }
    }
    for live in &live_models {
        if !wanted
            .allowed_models
            .iter()
            .any(|model| same_model(live, model))
        {
            drift.differences.push(format!(
                "{live} is allowed on OpenRouter but not in the file."
            ));
        }
    }
    let live_limit = live.limit_usd.and_then(Usd::from_dollars);
    if live_limit != Some(workshop.limit) {
        drift.differences.push(format!(
            "The limit on OpenRouter is {}, the file says {}.",
            live_limit
                .map(|limit| limit.to_string())
                .unwrap_or_else(|| "none".into()),
            workshop.limit
        ));
    }
    drift.live_models = Some(live_models);
    drift.live_limit = live_limit;
    Ok(drift)
}

/// OpenRouter answers with canonical, dated slugs: `openai/gpt-5-nano-2025-08-07` is the
/// file's `openai/gpt-5-nano`.
fn same_model(live: &str, file: &str) -> bool {
    live == file
        || live.strip_prefix(file).is_some_and(|rest| {
            rest.starts_with('-') && rest[1..].chars().all(|c| c.is_ascii_digit() || c == '-')
        })
}

/// Sends the file's settings to the guardrail again (one PATCH); refused on an instance
/// whose file is older than another running instance's (see `carries_newest_file`).
pub async fn reapply_guardrail(
    state: &AppState,
    workshop: &Workshop,
) -> Result<GuardrailDrift, AppError> {
    // During a rolling deploy, an old instance's file would undo the new one's settings.
    if !state.minter.carries_newest_file(workshop).await? {
        return Err(AppError::Superseded(
            "A newer version of this workshop's file is being deployed, and this server still \
             runs the old one: re-applying from here would undo it. Reload the page once the \
             deploy has finished, then re-apply."
                .to_string(),
        ));
    }
    let Some(record) = state.database.guardrail_record(&workshop.slug).await? else {
        state
            .minter
            .prepare(workshop, state.clock.now())
            .await
            .map_err(|error| error.into_app_error(&workshop.title))?;
        return guardrail_drift(state, workshop).await;
    };
    state
        .minter
        .client()
        .update_guardrail(&record.guardrail_id, &settings_for(workshop))
        .await
        .map_err(AppError::from)?;
    tracing::info!(slug = %workshop.slug, "guardrail re-applied from the workshop file");
    guardrail_drift(state, workshop).await
}

/// Demo mode only: spend on up to 10 of the workshop's keys in the simulator, then a
/// sync, so the charts and bars move. Returns how many keys spent.
pub async fn simulate_activity(state: &AppState, workshop: &Workshop) -> Result<i64, AppError> {
    let Some(spending) = state.demo_spending.as_ref().filter(|_| state.demo_mode) else {
        return Err(AppError::Forbidden);
    };
    let hashes = state.database.enabled_key_hashes(&workshop.slug).await?;
    let mut spent = 0;
    for (index, hash) in hashes.iter().take(10).enumerate() {
        // Different amounts, so the chart has a shape: $0.01 to about a third of a key.
        let usd =
            0.01 + (workshop.key_limit.as_dollars() / 3.0) * ((index * 37 % 11) as f64 / 10.0);
        let usd = (usd * 10_000.0).round() / 10_000.0;
        if spending.spend(hash, usd) {
            spent += 1;
        } else {
            tracing::warn!("simulated usage was refused: the simulator has no such key");
        }
    }
    state
        .usage_sync
        .sync(Utc::now().timestamp(), true)
        .await
        .map_err(sync_error)?;
    Ok(spent)
}

#[cfg(test)]
mod tests {
    use super::{page_window, same_model, ROWS_PER_PAGE};

    #[test]
    fn any_page_number_gives_a_sane_offset() {
        assert_eq!(page_window(1), (1, 0));
        assert_eq!(page_window(3), (3, 2 * ROWS_PER_PAGE));
        assert_eq!(page_window(0), (1, 0));
        assert_eq!(page_window(-5), (1, 0));
        let (page, offset) = page_window(i64::MAX);
        assert!(page >= 1 && offset >= 0, "{page} {offset}");
        let (_, offset) = page_window(i64::MIN);
        assert_eq!(offset, 0);
    }

    #[test]
    fn dated_slugs_are_the_file_models() {
        assert!(same_model(
            "openai/gpt-5-nano-2025-08-07",
            "openai/gpt-5-nano"
        ));
        assert!(same_model("openai/gpt-5-nano", "openai/gpt-5-nano"));
        assert!(!same_model("openai/gpt-5-nano-pro", "openai/gpt-5-nano"));
        assert!(!same_model("openai/gpt-5", "openai/gpt-5-nano"));
    }
}
