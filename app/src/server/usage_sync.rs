//! Usage sync: copies spend, remaining limit and disabled state of our keys from
//! OpenRouter into `workshop_attendance`, paging through `GET /keys` (100 keys a call)
//! rather than asking key by key. Pages show the stored figure with its "as of" time.
//!
//! Runs on a timer inside the server while a workshop is live, when a stale page is
//! viewed, and on an admin's "sync now". Only one instance syncs at a time: the sync
//! holds the `usage-sync` background lease in the database.

use std::time::Duration;

use crate::model::Usd;
use crate::server::db::{Database, DbError, KeyFigures};
use crate::server::openrouter::{Key, OpenRouterClient, OpenRouterError, KEYS_PAGE_SIZE};

const LEASE_NAME: &str = "usage-sync";
/// A sync holding the lease longer than this is presumed dead.
const LEASE_SECONDS: i64 = 300;

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
    /// The last sync is recent enough.
    Fresh,
}

/// One sync: every page of `GET /keys`, disabled keys included.
pub async fn sync_usage(
    database: &Database,
    client: &OpenRouterClient,
    now: i64,
) -> Result<SyncReport, SyncError> {
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
    let rows_updated = database.record_key_figures(&figures, now).await?;
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
    /// This instance's name in the lease.
    holder: String,
    /// The timer's period; a sync younger than this is fresh.
    pub interval: Duration,
}

impl UsageSyncer {
    pub fn new(
        database: Database,
        client: OpenRouterClient,
        holder: String,
        interval: Duration,
    ) -> Self {
        UsageSyncer {
            database,
            client,
            holder,
            interval,
        }
    }

    /// Syncs unless another sync is running or (`force` unset) the last one is fresh.
    #[tracing::instrument(name = "usage_sync", skip_all, fields(force = force))]
    pub async fn sync(&self, now: i64, force: bool) -> Result<SyncOutcome, SyncError> {
        let Some(lease) = self
            .database
            .take_background_lease(LEASE_NAME, &self.holder, now, now + LEASE_SECONDS)
            .await?
        else {
            return Ok(SyncOutcome::Busy);
        };
        let fresh = lease
            .last_done_at
            .is_some_and(|done| now - done < self.interval.as_secs() as i64);
        if fresh && !force {
            self.database
                .finish_background_lease(&lease, false, now)
                .await?;
            return Ok(SyncOutcome::Fresh);
        }
        let result = sync_usage(&self.database, &self.client, now).await;
        self.database
            .finish_background_lease(&lease, result.is_ok(), now)
            .await?;
        Ok(SyncOutcome::Synced(result?))
    }
}
