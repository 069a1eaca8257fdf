//! Usage sync: copies spend, remaining limit and disabled state of our keys from
//! OpenRouter into `workshop_attendance`, paging through `GET /keys` (100 keys a call)
//! rather than asking key by key. Pages show the stored figure with its "as of" time.
//!
//! Runs on a timer inside the server while a workshop is live, when a stale page is
//! viewed, and on an admin's "sync now". Only one instance syncs at a time: the sync
//! holds the `usage-sync` background lease in the database. A workshop's "Sync now" is
//! not repeated within [`SYNC_NOW_COOLDOWN`]; automatic syncs back off after failures;
//! and no sync calls OpenRouter while it holds us back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::db::{Database, DbError, KeyFigures};
use crate::leases::{Finished, Leases};
use crate::openrouter::{Key, OpenRouterClient, OpenRouterError, KEYS_PAGE_SIZE};
use wire::model::Usd;

const LEASE_NAME: &str = "usage-sync";
/// A sync whose lease goes this long without its heartbeat is presumed dead.
const LEASE: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    OpenRouter(#[from] OpenRouterError),
    #[error("database: {0}")]
    Database(#[from] DbError),
}

/// What one sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    pub list_calls: usize,
    pub keys_listed: usize,
    pub rows_updated: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    Synced(SyncReport),
    /// Another instance (or task) is syncing right now.
    Busy,
    /// The last sync (by any instance) ended at `synced_at`: recent enough.
    Fresh {
        synced_at: i64,
    },
    /// The last syncs failed; the next try is not before `retry_in` has passed.
    BackingOff {
        retry_in: Duration,
    },
}

/// However a workshop's organisers insist, their "Sync usage now" is not repeated within
/// this: twenty clicks are one listing of the account, not twenty.
pub const SYNC_NOW_COOLDOWN: Duration = Duration::from_secs(10);

/// After a failed sync, automatic ones (the timer, page views) wait this long, doubling
/// with each failure in a row up to [`FAILED_SYNC_LONGEST_WAIT`].
pub const FAILED_SYNC_FIRST_WAIT: Duration = Duration::from_secs(5);
pub const FAILED_SYNC_LONGEST_WAIT: Duration = Duration::from_secs(300);

/// This process's memory of failed syncs in a row.
#[derive(Debug, Default)]
struct Failures {
    in_a_row: u32,
    last: Option<Instant>,
}

impl Failures {
    fn wait_left(&self) -> Option<Duration> {
        let last = self.last?;
        let wait = FAILED_SYNC_FIRST_WAIT
            .saturating_mul(1 << self.in_a_row.saturating_sub(1).min(10))
            .min(FAILED_SYNC_LONGEST_WAIT);
        wait.checked_sub(last.elapsed())
            .filter(|left| !left.is_zero())
    }
}

/// One sync: every page of `GET /keys`, disabled keys included.
pub async fn sync_usage(
    database: &Database,
    client: &OpenRouterClient,
    now: i64,
) -> Result<SyncReport, SyncError> {
    let listed_from = chrono::Utc::now().timestamp();
    let mut figures = Vec::new();
    let mut list_calls = 0;
    loop {
        let page = client.list_keys(figures.len(), true).await?;
        list_calls += 1;
        let count = page.len();
        figures.extend(page.iter().map(figures_of));
        if count < KEYS_PAGE_SIZE {
            break;
        }
    }
    let rows_updated = database
        .record_key_figures(&figures, now, listed_from)
        .await?;
    Ok(SyncReport {
        list_calls,
        keys_listed: figures.len(),
        rows_updated,
    })
}

/// One key's figures as the database stores them.
pub fn figures_of(key: &Key) -> KeyFigures {
    let micros = |dollars: f64| Usd::from_dollars((dollars * 1e6).round() / 1e6).map(Usd::micros);
    KeyFigures {
        hash: key.hash.clone(),
        usage_usd_micros: micros(key.usage).unwrap_or(0),
        limit_remaining_usd_micros: key.limit_remaining.and_then(micros),
        disabled: key.disabled,
    }
}

/// The sync with its lease: at most one at a time across instances.
#[derive(Clone)]
pub struct UsageSyncer {
    database: Database,
    client: OpenRouterClient,
    /// This instance's leases (the `usage-sync` one).
    leases: Leases,
    /// The timer's period; a sync younger than this is fresh.
    pub interval: Duration,
    failures: Arc<Mutex<Failures>>,
    /// When each workshop's organisers last had a sync done (this process's memory:
    /// the cooldown only has to stop one person's clicks).
    organiser_syncs: Arc<Mutex<HashMap<String, i64>>>,
}

impl UsageSyncer {
    pub fn new(
        database: Database,
        client: OpenRouterClient,
        holder: String,
        interval: Duration,
    ) -> Self {
        UsageSyncer {
            leases: Leases::new(database.clone(), &holder),
            database,
            client,
            interval,
            failures: Arc::default(),
            organiser_syncs: Arc::default(),
        }
    }

    /// Syncs unless another sync is running; unless `force`d, also not when the last
    /// one (by any instance) is younger than the interval, nor while failed syncs are
    /// backing off (the timer, page views). Nothing calls OpenRouter while it holds us
    /// back (an outage, a 429's `Retry-After`).
    pub async fn sync(&self, now: i64, force: bool) -> Result<SyncOutcome, SyncError> {
        let young_enough = if force { Duration::ZERO } else { self.interval };
        self.sync_unless_younger_than(now, young_enough, !force)
            .await
    }

    /// An organiser's "Sync usage now" for workshop `slug`: a sync, unless this
    /// workshop's organisers asked for one less than [`SYNC_NOW_COOLDOWN`] ago — then
    /// that one's time, and its figures stand. Twenty clicks are one listing.
    pub async fn sync_now_for(&self, slug: &str, now: i64) -> Result<SyncOutcome, SyncError> {
        let cooldown = SYNC_NOW_COOLDOWN.as_secs() as i64;
        if let Some(&synced_at) = self.organiser_syncs().get(slug) {
            if (0..cooldown).contains(&(now - synced_at)) {
                return Ok(SyncOutcome::Fresh { synced_at });
            }
        }
        let outcome = self.sync(now, true).await?;
        if matches!(outcome, SyncOutcome::Synced(_)) {
            self.organiser_syncs().insert(slug.to_string(), now);
        }
        Ok(outcome)
    }

    #[tracing::instrument(name = "usage_sync", skip_all, fields(young_enough = young_enough.as_secs()))]
    async fn sync_unless_younger_than(
        &self,
        now: i64,
        young_enough: Duration,
        back_off: bool,
    ) -> Result<SyncOutcome, SyncError> {
        if back_off {
            if let Some(retry_in) = self.failures().wait_left() {
                return Ok(SyncOutcome::BackingOff { retry_in });
            }
        }
        if let Some(retry_in) = self.client.unavailable_for() {
            return Err(SyncError::OpenRouter(OpenRouterError::Unavailable {
                retry_in,
            }));
        }
        let young_enough = young_enough.as_secs() as i64;
        let ran = self
            .leases
            .with_lease(LEASE_NAME, now, LEASE, |last_done_at| async move {
                match last_done_at.filter(|done| now - done < young_enough) {
                    Some(synced_at) => Finished::incomplete(Ok(SyncOutcome::Fresh { synced_at })),
                    None => sync_usage(&self.database, &self.client, now)
                        .await
                        .map(SyncOutcome::Synced)
                        .into(),
                }
            })
            .await?;
        let Some(result) = ran else {
            return Ok(SyncOutcome::Busy);
        };
        if matches!(result, Ok(SyncOutcome::Fresh { .. })) {
            return result;
        }
        let mut failures = self.failures();
        match &result {
            Ok(_) => *failures = Failures::default(),
            Err(_) => {
                failures.in_a_row = failures.in_a_row.saturating_add(1);
                failures.last = Some(Instant::now());
            }
        }
        result
    }

    fn organiser_syncs(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.organiser_syncs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
