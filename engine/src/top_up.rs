//! The organiser's top-up: "my key ran out" answered from the key's row on the admin
//! page. A top-up raises the key's `limit` on OpenRouter (`PATCH /keys/{hash}`), with
//! the same discipline as a claim: reserve under the workshop's lock (the cap counts
//! every key's limit and every top-up on its way, so two organisers racing for the last
//! dollars cannot both win), call OpenRouter with no lock held, then settle — applied
//! when OpenRouter has the new limit, released when it refused. A call whose outcome
//! was lost stays reserved and is settled by the sweep, which reads the key back
//! ([`settle_lost_top_ups`]); the PATCH sets an absolute limit, so repeating it is safe.
//!
//! Only bound, enabled, unexpired keys are topped up: an unbound key is bound first (its
//! row's Retry), a disabled one enabled first. `max_key_limit_usd` caps what one key
//! may reach. Every top-up is a row of `key_top_ups`: who, when, how much, for whom.

use chrono::Utc;

use crate::admin::{find_row, table_row};
use crate::db::row_status::row_status;
use crate::db::{Database, NewTopUp, TopUp, TopUpReservation};
use crate::openrouter::{KeyUpdate, OpenRouterClient, OpenRouterError};
use crate::registry::Workshop;
use crate::state::AppState;
use wire::error::AppError;
use wire::model::{BulkTopUpReport, ClaimRow, RowStatus, TopUpPreview, Usd};

/// The largest single top-up: a typo (`200` for `2.00`) must not commit a fortune.
pub const MAX_TOP_UP: Usd = Usd::from_micros(1_000_000_000);

/// Keys spent above this share of their limit are "low" for the bulk top-up.
pub const LOW_PERCENT: i64 = 80;

/// How long a reservation may wait for its OpenRouter answer before the sweep reads the
/// key back (longer than a call with its retries can take).
pub const SETTLE_AFTER_SECS: i64 = 30;

/// Reads an amount typed by an organiser: `1`, `2.50`, `$3`.
pub fn parse_amount(text: &str) -> Result<Usd, AppError> {
    let cleaned = text.trim().trim_start_matches('$').trim();
    let amount = cleaned
        .parse::<f64>()
        .ok()
        .and_then(Usd::from_dollars)
        .filter(|amount| amount.is_positive())
        .ok_or_else(|| {
            AppError::InvalidInput(format!(
                "“{}” is not an amount to add: write dollars, like 2 or 2.50.",
                text.trim()
            ))
        })?;
    if amount > MAX_TOP_UP {
        return Err(AppError::InvalidInput(format!(
            "{amount} is more than one top-up may add ({MAX_TOP_UP})."
        )));
    }
    Ok(amount)
}

/// Tops up the key of row `id` by `add`; returns the row as the table shows it.
pub async fn top_up_key(
    state: &AppState,
    workshop: &Workshop,
    id: &str,
    add: Usd,
    by: &str,
) -> Result<ClaimRow, AppError> {
    let row = find_row(state, workshop, id).await?;
    let now = Utc::now().timestamp();
    match row_status(&row.attendance, now) {
        RowStatus::Bound => {}
        RowStatus::Unbound => {
            return Err(AppError::InvalidInput(
                "This key is not bound to the workshop's guardrail yet: press Retry to bind it, then top it up.".into(),
            ))
        }
        RowStatus::Disabled => {
            return Err(AppError::InvalidInput(
                "This key is disabled: enable it first, then top it up.".into(),
            ))
        }
        RowStatus::Preparing | RowStatus::Failed => {
            return Err(AppError::InvalidInput(
                "This attendee has no key yet: there is nothing to top up.".into(),
            ))
        }
    }
    if row.attendance.expires_at <= state.clock.now().timestamp() {
        return Err(AppError::InvalidInput(
            "This key has expired: a top-up would not bring it back.".into(),
        ));
    }
    let top_up = reserve(state, workshop, &row.attendance.user_id, add, by).await?;
    settle_now(&state.database, state.minter.client(), &top_up).await?;
    table_row(state, workshop, id).await
}

async fn reserve(
    state: &AppState,
    workshop: &Workshop,
    user_id: &str,
    add: Usd,
    by: &str,
) -> Result<TopUp, AppError> {
    let reservation = state
        .database
        .reserve_top_up(&NewTopUp {
            workshop_slug: &workshop.slug,
            user_id,
            add_usd_micros: add.micros(),
            workshop_cap_usd_micros: workshop.limit.micros(),
            max_key_limit_usd_micros: workshop.max_key_limit.map(Usd::micros),
            topped_up_by: by,
            now: Utc::now().timestamp(),
        })
        .await?;
    match reservation {
        TopUpReservation::Reserved(top_up) => Ok(top_up),
        TopUpReservation::OverCap { left_usd_micros } => Err(AppError::SoldOut(format!(
            "Only {} of the workshop's {} budget is left to commit: a top-up of {add} would pass the cap.",
            Usd::from_micros(left_usd_micros),
            workshop.limit
        ))),
        TopUpReservation::OverKeyMaximum { allowed_usd_micros } => Err(AppError::InvalidInput(
            format!(
                "A key of this workshop may reach at most {} (max_key_limit_usd): this one can take {} more.",
                workshop.max_key_limit.unwrap_or(workshop.limit),
                Usd::from_micros(allowed_usd_micros)
            ),
        )),
        TopUpReservation::Busy => Err(AppError::InProgress),
        TopUpReservation::NoKey => Err(AppError::InvalidInput(
            "This attendee has no key yet: there is nothing to top up.".into(),
        )),
    }
}

/// Sends the reserved top-up's new limit to OpenRouter and settles it: applied on
/// success, released on a refusal, left reserved (for the sweep) when the outcome is
/// unknown.
async fn settle_now(
    database: &Database,
    client: &OpenRouterClient,
    top_up: &TopUp,
) -> Result<(), AppError> {
    let update = KeyUpdate {
        limit: Some(Usd::from_micros(top_up.limit_after_micros).as_dollars()),
        ..KeyUpdate::default()
    };
    let now = Utc::now().timestamp();
    match client.update_key(&top_up.key_hash, &update).await {
        Ok(_) => {
            database.apply_top_up(&top_up.id, now).await?;
            tracing::info!(added = top_up.added_usd_micros, "key topped up");
            Ok(())
        }
        Err(error) if error.outcome_unknown() => {
            tracing::warn!(%error, "a top-up's answer was lost; the sweep checks the key");
            Err(AppError::UpstreamUnavailable {
                retry_in_secs: SETTLE_AFTER_SECS,
            })
        }
        Err(error) => {
            database.release_top_up(&top_up.id, now).await?;
            tracing::warn!(%error, "OpenRouter refused a top-up; nothing was committed");
            Err(AppError::from(error))
        }
    }
}

/// The most rows one bulk call tops up when the page names them: a call stays short
/// (one OpenRouter PATCH per key), and the page shows progress between calls.
pub const ROWS_PER_BULK_CALL: usize = 10;

/// The keys the bulk top-up would take: bound, enabled, unexpired, spent above
/// [`LOW_PERCENT`] of their limit, most spent first; and what it would commit.
pub async fn preview_low_keys(
    state: &AppState,
    workshop: &Workshop,
    add: Usd,
) -> Result<TopUpPreview, AppError> {
    let now = Utc::now().timestamp();
    let expired_before = state.clock.now().timestamp();
    let rows = state.database.list_attendance(&workshop.slug).await?;
    let share_spent = |row: &crate::db::Attendance| {
        row.usage_usd_micros.unwrap_or(0) as f64 / row.limit_usd_micros.max(1) as f64
    };
    let mut low: Vec<_> = rows
        .iter()
        .filter(|row| row_status(row, now) == RowStatus::Bound && row.expires_at > expired_before)
        .filter(|row| {
            let spent = row.usage_usd_micros.unwrap_or(0);
            spent * 100 >= LOW_PERCENT * row.limit_usd_micros.max(1)
        })
        .collect();
    low.sort_by(|a, b| share_spent(b).total_cmp(&share_spent(a)));
    let committed = state.database.committed_usd_micros(&workshop.slug).await?;
    let left = (workshop.limit.micros() - committed).max(0);
    let keys = low.len() as i64;
    Ok(TopUpPreview {
        add,
        keys,
        rows: low.into_iter().map(|row| row.key_name.clone()).collect(),
        total: Usd::from_micros(add.micros().saturating_mul(keys)),
        fitting: (left / add.micros().max(1)).min(keys),
        left: Usd::from_micros(left),
    })
}

/// "Top up all keys above 80 % spent by `add`": the `rows` the page's preview named (at
/// most [`ROWS_PER_BULK_CALL`]), or without them (a plain form, no JavaScript) every
/// low key now; one key after another, stopping at the cap (the keys left are counted,
/// not tried).
pub async fn top_up_low_keys(
    state: &AppState,
    workshop: &Workshop,
    add: Usd,
    rows: Option<Vec<String>>,
    by: &str,
) -> Result<BulkTopUpReport, AppError> {
    let rows = match rows {
        Some(rows) if rows.len() > ROWS_PER_BULK_CALL => {
            return Err(AppError::InvalidInput(format!(
                "One call tops up at most {ROWS_PER_BULK_CALL} keys; this one named {}.",
                rows.len()
            )))
        }
        Some(rows) => rows,
        None => preview_low_keys(state, workshop, add).await?.rows,
    };
    let mut report = BulkTopUpReport {
        topped_up: 0,
        added: Usd::ZERO,
        left_at_cap: 0,
        failed: 0,
    };
    for (index, id) in rows.iter().enumerate() {
        match top_up_key(state, workshop, id, add, by).await {
            Ok(_) => {
                report.topped_up += 1;
                report.added = report.added + add;
            }
            Err(AppError::SoldOut(_)) => {
                report.left_at_cap = (rows.len() - index) as i64;
                break;
            }
            Err(error) => {
                tracing::warn!(
                    status = error.status_code(),
                    "a key of a bulk top-up was not topped up"
                );
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The sweep's part: top-ups reserved longer than [`SETTLE_AFTER_SECS`] ago whose
/// OpenRouter answer was lost. The key is read back: OpenRouter has the new limit →
/// applied; the old one → the PATCH is sent again (it sets an absolute limit); the key
/// is gone → released. Returns how many were settled.
pub async fn settle_lost_top_ups(
    database: &Database,
    client: &OpenRouterClient,
) -> Result<usize, AppError> {
    let before = Utc::now().timestamp() - SETTLE_AFTER_SECS;
    let mut settled = 0;
    for top_up in database.unsettled_top_ups(before).await? {
        let now = Utc::now().timestamp();
        let key = match client.get_key(&top_up.key_hash).await {
            Ok(key) => key,
            Err(OpenRouterError::Unavailable { .. }) => break,
            Err(error) => {
                tracing::warn!(%error, "could not read a topped-up key back yet");
                continue;
            }
        };
        let Some(key) = key else {
            database.release_top_up(&top_up.id, now).await?;
            settled += 1;
            continue;
        };
        let wanted = Usd::from_micros(top_up.limit_after_micros).as_dollars();
        let has_new_limit = key.limit.is_some_and(|limit| (limit - wanted).abs() < 1e-9);
        // Already there: applied here. Otherwise sent again; `settle_now` applies it
        // when OpenRouter takes it.
        let applied = if has_new_limit {
            database.apply_top_up(&top_up.id, now).await?
        } else {
            settle_now(database, client, &top_up).await.is_ok()
        };
        if applied {
            settled += 1;
        }
    }
    Ok(settled)
}
