//! The attendee's side, for the server functions: the workshop page's state, the claim,
//! the key as its owner sees it, a fresh usage figure on request, and the marketing
//! choice. Every answer is for the signed-in caller only, taken from the session.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::db::{shown_label, Attendance, Attendee, Database};
use crate::email::{mask_email, same_mailbox};
use crate::mint::check_claim_allowed;
use crate::registry::{is_valid_slug, Workshop};
use crate::state::AppState;
use crate::time_format::workshop_time;
use wire::error::AppError;
use wire::model::{
    provider_display_name, ClaimPage, ClaimStatus, ClaimView, CurrentUser, MarketingChoice, MyKey,
    SignInMethodsInfo, SoldOut, Usd, WorkshopFigures, WorkshopState,
};

/// How often one key's usage may be fetched on its owner's request.
pub const USAGE_REFRESH_SECS: u64 = 30;

/// Remembers when each key's owner last asked for a fresh usage figure, so a refresh
/// button held down costs OpenRouter one call per key and half-minute. Per instance: a
/// second instance may answer one more, which is harmless.
#[derive(Default)]
pub struct RefreshLimiter {
    last: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl RefreshLimiter {
    /// Whether `key_hash` may be fetched now (and, if so, remembers that it was).
    pub fn allow(&self, key_hash: &str) -> bool {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        let window = std::time::Duration::from_secs(USAGE_REFRESH_SECS);
        if last.len() > 10_000 {
            last.retain(|_, at| now.duration_since(*at) < window);
        }
        match last.get(key_hash) {
            Some(at) if now.duration_since(*at) < window => false,
            _ => {
                last.insert(key_hash.to_string(), now);
                true
            }
        }
    }
}

/// The workshop `slug`, or a `NotFound` that never echoes arbitrary input.
pub fn known_workshop(state: &AppState, slug: &str) -> Result<Arc<Workshop>, AppError> {
    if !is_valid_slug(slug) {
        return Err(AppError::NotFound("That workshop".into()));
    }
    state
        .registry
        .get(slug)
        .ok_or_else(|| AppError::NotFound(format!("The workshop “{slug}”")))
}

/// Claims `attendee`'s key of workshop `slug` (or returns the one they have).
pub async fn claim(
    state: &AppState,
    slug: &str,
    attendee: Attendee,
    marketing_opt_in: bool,
) -> Result<MyKey, AppError> {
    let workshop = known_workshop(state, slug)?;
    let now = state.clock.now();
    if marketing_opt_in && workshop.marketing_opt_in_text.is_some() {
        state
            .database
            .set_marketing_opt_in(
                &attendee.user_id,
                Some(&workshop.slug),
                Utc::now().timestamp(),
            )
            .await?;
    }
    let (title, zone) = (workshop.title.clone(), workshop.timezone);
    let row = state
        .minter
        .claim(workshop, attendee, now)
        .await
        .map_err(|error| error.into_app_error(&title))?;
    my_key(&state.database, row, &zone, now)?.ok_or_else(|| {
        tracing::error!("a finished claim has no key");
        AppError::Internal
    })
}

/// The caller's key of workshop `slug`; `None` for a signed-out visitor or no key yet.
pub async fn my_claim(
    state: &AppState,
    slug: &str,
    attendee: Option<&Attendee>,
) -> Result<Option<MyKey>, AppError> {
    let workshop = known_workshop(state, slug)?;
    let Some(attendee) = attendee else {
        return Ok(None);
    };
    let row = match find_own_row(state, attendee, &workshop.slug).await? {
        OwnRow::Mine(row) => *row,
        OwnRow::None | OwnRow::Someone { .. } => return Ok(None),
    };
    refresh_if_stale(state, &workshop, &row);
    my_key(&state.database, row, &workshop.timezone, state.clock.now())
}

/// Everything the workshop page shows, for whoever is looking.
pub async fn claim_page(
    state: &AppState,
    slug: &str,
    viewer: Option<Attendee>,
) -> Result<ClaimPage, AppError> {
    let workshop = known_workshop(state, slug)?;
    let now = state.clock.now();
    let figures = figures(state, &workshop).await?;
    let claim = match &viewer {
        None => signed_out_view(&workshop, &figures, now),
        Some(attendee) => signed_in_view(state, &workshop, &figures, attendee, now).await?,
    };
    let marketing = workshop
        .marketing_opt_in_text
        .clone()
        .map(|text| MarketingChoice {
            text,
            opted_in: viewer
                .as_ref()
                .is_some_and(|attendee| attendee.opted_in_from(&workshop.slug)),
        });
    let methods = state.sign_in_methods;
    Ok(ClaimPage {
        workshop: workshop.summary(now),
        figures,
        viewer: viewer.map(|attendee| current_user(state, attendee)),
        sign_in: SignInMethodsInfo {
            google: methods.google,
            github: methods.github,
            demo: methods.demo,
        },
        claim,
        marketing,
        now: now.timestamp(),
    })
}

/// The signed-in person as pages show them. No ids or tokens.
pub fn current_user(state: &AppState, attendee: Attendee) -> CurrentUser {
    CurrentUser {
        is_admin: crate::access::is_admin_of_any(state, &attendee),
        display_name: attendee
            .display_name
            .clone()
            .unwrap_or_else(|| attendee.email.clone()),
        email: attendee.email,
        provider: attendee.auth_provider,
    }
}

/// How full the workshop is. Public: the projector shows it to the room.
pub async fn figures(state: &AppState, workshop: &Workshop) -> Result<WorkshopFigures, AppError> {
    let (claimed, committed) = state.database.workshop_totals(&workshop.slug).await?;
    let sold_out = if workshop
        .max_attendees
        .is_some_and(|places| claimed >= places)
    {
        Some(SoldOut::Places)
    } else if committed + workshop.key_limit.micros() > workshop.limit.micros() {
        Some(SoldOut::Budget)
    } else {
        None
    };
    Ok(WorkshopFigures {
        claimed,
        places: workshop.max_attendees,
        committed: Usd::from_micros(committed),
        limit: workshop.limit,
        sold_out,
    })
}

fn signed_out_view(
    workshop: &Workshop,
    figures: &WorkshopFigures,
    now: DateTime<Utc>,
) -> ClaimView {
    match workshop.state_at(now) {
        WorkshopState::Upcoming => ClaimView::NotOpenYet,
        WorkshopState::Closed => ClaimView::Closed,
        WorkshopState::Open => match figures.sold_out {
            Some(sold_out) => ClaimView::SoldOut(sold_out),
            None => ClaimView::SignIn,
        },
    }
}

async fn signed_in_view(
    state: &AppState,
    workshop: &Workshop,
    figures: &WorkshopFigures,
    attendee: &Attendee,
    now: DateTime<Utc>,
) -> Result<ClaimView, AppError> {
    match find_own_row(state, attendee, &workshop.slug).await? {
        OwnRow::Mine(row) => {
            let row = *row;
            refresh_if_stale(state, workshop, &row);
            if row.status() == ClaimStatus::Reserved {
                // A lease that is free again after an attempt means the last try failed
                // (OpenRouter trouble): the place is kept and the server keeps trying.
                let leased = row.state.is_leased_at(Utc::now().timestamp());
                // Or OpenRouter is held back right now (an outage, a rate limit): the
                // claim kept the place without even trying.
                let held_back = state.minter.client().unavailable_for();
                let retrying = !leased && (row.mint_attempts > 0 || held_back.is_some());
                let retry_in_secs = retrying
                    .then_some(held_back)
                    .flatten()
                    .map(|left| left.as_secs().max(1));
                return Ok(ClaimView::Preparing {
                    retrying,
                    retry_in_secs,
                });
            }
            Ok(my_key(&state.database, row, &workshop.timezone, now)?
                .map(ClaimView::Key)
                .unwrap_or(ClaimView::Preparing {
                    retrying: false,
                    retry_in_secs: None,
                }))
        }
        OwnRow::Someone { provider, email } => Ok(ClaimView::MailboxTaken {
            message: format!(
                "This mailbox already claimed a key for “{}”. Sign in with {} as {} to see it.",
                workshop.title,
                provider_display_name(&provider),
                mask_email(&email)
            ),
        }),
        OwnRow::None => Ok(match workshop.state_at(now) {
            WorkshopState::Upcoming => ClaimView::NotOpenYet,
            WorkshopState::Closed => ClaimView::Closed,
            WorkshopState::Open => {
                if let Err(crate::mint::ClaimError::DomainNotAllowed { allowed, .. }) =
                    check_claim_allowed(workshop, attendee, now)
                {
                    ClaimView::DomainNotAllowed { allowed }
                } else if let Some(sold_out) = figures.sold_out {
                    ClaimView::SoldOut(sold_out)
                } else {
                    ClaimView::Claimable
                }
            }
        }),
    }
}

/// The caller's row, if any.
pub enum OwnRow {
    None,
    /// Theirs: by their sign-in, or by a provably identical mailbox.
    Mine(Box<Attendance>),
    /// The mailbox's row belongs to another sign-in that is not provably the same mailbox.
    Someone {
        provider: String,
        email: String,
    },
}

/// The caller's row: by their sign-in, else by their mailbox — the same person signed
/// in another way, which the one-key-per-email rule treats as the same attendee, but only
/// when the row owner's verified address is provably the same mailbox as the caller's.
pub async fn find_own_row(
    state: &AppState,
    attendee: &Attendee,
    slug: &str,
) -> Result<OwnRow, AppError> {
    let database = &state.database;
    if let Some(row) = database.find_attendance(&attendee.user_id, slug).await? {
        return Ok(OwnRow::Mine(Box::new(row)));
    }
    let Some(row) = database
        .find_attendance_by_email(slug, &attendee.email_normalized)
        .await?
    else {
        return Ok(OwnRow::None);
    };
    Ok(match database.find_attendee(&row.user_id).await? {
        Some(owner) if same_mailbox(&owner.email, &attendee.email) => OwnRow::Mine(Box::new(row)),
        Some(owner) => OwnRow::Someone {
            provider: owner.auth_provider,
            email: owner.email,
        },
        None => OwnRow::None,
    })
}

/// Shown in place of a key `KEY_RETENTION_DAYS` erased after it expired.
pub const ERASED_KEY: &str = "(erased: this key expired and is no longer kept)";

/// The row as its owner sees it, times in the workshop's zone; `None` while no key is
/// stored. A stored key that does not open (a tampered row, a key ring without the key
/// that sealed it) is an error for this row only.
pub fn my_key(
    database: &Database,
    row: Attendance,
    zone: &Tz,
    now: DateTime<Utc>,
) -> Result<Option<MyKey>, AppError> {
    let key = match database.open_key(&row) {
        Ok(Some(key)) => key.expose().to_string(),
        Ok(None) if row.status() != ClaimStatus::Reserved && row.expires_at < now.timestamp() => {
            ERASED_KEY.to_string()
        }
        Ok(None) => return Ok(None),
        Err(error) => {
            tracing::error!(%error, "an attendee's stored key does not open");
            return Err(AppError::KeyUnreadable);
        }
    };
    Ok(my_key_with(row, key, zone, now))
}

fn my_key_with(row: Attendance, key: String, zone: &Tz, now: DateTime<Utc>) -> Option<MyKey> {
    let expires = DateTime::from_timestamp(row.expires_at, 0)?;
    Some(MyKey {
        bound: row.status() == ClaimStatus::Bound,
        label: row
            .key_label
            .as_deref()
            .map(shown_label)
            .unwrap_or_default(),
        key,
        limit: Usd::from_micros(row.limit_usd_micros),
        usage: row.usage_usd_micros.map(Usd::from_micros),
        usage_synced_at: row.usage_synced_at,
        expires: workshop_time(expires, *zone),
        claimed_at: row.attended_at,
        remaining: row.limit_remaining_usd_micros.map(Usd::from_micros),
        disabled: row.key_disabled == Some(1),
        expired: expires <= now,
        topped_up: Usd::from_micros(row.topped_up_usd_micros),
    })
}

/// A fresh usage figure for the caller's key, at most once per
/// [`USAGE_REFRESH_SECS`] per key and instance (each instance remembers its own asks; with
/// n instances a key costs at most n calls per window, which is still bounded).
pub async fn refresh_my_usage(
    state: &AppState,
    slug: &str,
    attendee: &Attendee,
) -> Result<MyKey, AppError> {
    let workshop = known_workshop(state, slug)?;
    let OwnRow::Mine(row) = find_own_row(state, attendee, &workshop.slug).await? else {
        return Err(AppError::NotFound("Your key".into()));
    };
    let Some(hash) = row.key_hash().map(str::to_string) else {
        return Err(AppError::InProgress);
    };
    let now = Utc::now().timestamp();
    if state.usage_refreshes.allow(&hash) {
        let listed_from = Utc::now().timestamp();
        let key = state
            .minter
            .client()
            .get_key(&hash)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "refreshing one key's usage failed");
                AppError::from(error)
            })?;
        if let Some(key) = key {
            let figures = crate::usage_sync::figures_of(&key);
            state
                .database
                .record_key_figures(&[figures], now, listed_from)
                .await?;
        }
    }
    let OwnRow::Mine(row) = find_own_row(state, attendee, &workshop.slug).await? else {
        return Err(AppError::NotFound("Your key".into()));
    };
    my_key(&state.database, *row, &workshop.timezone, state.clock.now())?
        .ok_or(AppError::InProgress)
}

/// Records or withdraws the caller's marketing opt-in at this workshop.
pub async fn set_marketing_opt_in(
    state: &AppState,
    slug: &str,
    attendee: &Attendee,
    opted_in: bool,
) -> Result<bool, AppError> {
    let workshop = known_workshop(state, slug)?;
    if workshop.marketing_opt_in_text.is_none() {
        return Err(AppError::InvalidInput(
            "This workshop asks no marketing question.".into(),
        ));
    }
    let at = Utc::now().timestamp();
    let slug = opted_in.then_some(workshop.slug.as_str());
    state
        .database
        .set_marketing_opt_in(&attendee.user_id, slug, at)
        .await?;
    Ok(opted_in)
}

/// Starts a usage sync in the background when the row's figures are older than the
/// sync interval and the key can still be used. The sync's lease keeps this to one.
pub fn refresh_if_stale(state: &AppState, workshop: &Workshop, row: &Attendance) {
    let now = Utc::now().timestamp();
    let interval = state.usage_sync.interval.as_secs() as i64;
    let stale = row
        .usage_synced_at
        .is_none_or(|synced| now - synced >= interval);
    let usable = row.key_hash().is_some() && now < workshop.key_expires_at.timestamp();
    if stale && usable {
        let syncer = state.usage_sync.clone();
        tokio::spawn(async move {
            if let Err(error) = syncer.sync(now, false).await {
                tracing::warn!(%error, "usage sync on page view failed");
            }
        });
    }
}
