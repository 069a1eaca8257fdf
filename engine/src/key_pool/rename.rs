//! After a claim takes a pool key, the key still carries its pool name on OpenRouter.
//! The renamer gives it the attendee's deterministic name (`PATCH /keys/{hash}`), so
//! OpenRouter's dashboard shows whose key it is — in the background: the attendee has
//! their key already, and a failed rename never touches it. Failed passes are retried
//! with backoff; the server's pool timer also starts a pass now and then, so renames
//! left over by an outage or a restart are done eventually.
//!
//! One renamer runs per process; claims only wake it.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::task::JoinSet;
use tracing::Instrument;

use super::KeyPool;
use crate::db::DbError;
use crate::openrouter::{KeyUpdate, OpenRouterError};

/// Handed-out keys renamed per database read.
const RENAME_PAGE: i64 = 200;
/// Failed passes in a row before the renamer leaves the rest to the next timer pass.
const RENAME_ATTEMPTS: u32 = 8;

#[derive(Default)]
pub(super) struct RenamerFlags {
    running: AtomicBool,
    wanted: AtomicBool,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenameReport {
    pub renamed: usize,
    pub failed: usize,
}

impl KeyPool {
    /// Wakes the renamer (starting it if it is not running).
    pub fn rename_soon(&self) {
        let flags = &self.inner.renamer;
        flags.wanted.store(true, Ordering::SeqCst);
        if flags.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let pool = self.clone();
        // Tracked: a draining server lets renames under way finish.
        self.inner.detached.spawn(
            async move { pool.run_renamer().await }.instrument(tracing::info_span!("rename")),
        );
    }

    async fn run_renamer(&self) {
        let flags = &self.inner.renamer;
        let settings = &self.inner.settings;
        loop {
            let mut delay = settings.rename_first_delay;
            let mut failed_passes = 0;
            while flags.wanted.swap(false, Ordering::SeqCst) {
                match self.rename_handed_out().await {
                    Ok(report) if report.failed == 0 => failed_passes = 0,
                    outcome => {
                        if let Err(error) = outcome {
                            tracing::warn!(%error, "could not read the keys to rename");
                        }
                        failed_passes += 1;
                        if failed_passes >= RENAME_ATTEMPTS {
                            break;
                        }
                        flags.wanted.store(true, Ordering::SeqCst);
                        // Draining: the renames left are the next start's (their keys
                        // keep their pool names in the database until then).
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = self.inner.detached.stopping().cancelled() => break,
                        }
                        delay = (delay * 2).min(settings.rename_max_delay);
                    }
                }
            }
            flags.running.store(false, Ordering::SeqCst);
            // A claim that woke us between the last pass and the line above found us
            // running and left: take its wish over, unless another renamer did.
            if !flags.wanted.load(Ordering::SeqCst) || flags.running.swap(true, Ordering::SeqCst) {
                return;
            }
        }
    }

    /// One pass: renames every handed-out pool key still carrying its pool name.
    pub async fn rename_handed_out(&self) -> Result<RenameReport, DbError> {
        let mut report = RenameReport::default();
        loop {
            let pending = self.inner.database.pending_renames(RENAME_PAGE).await?;
            let page_was_full = pending.len() as i64 == RENAME_PAGE;
            let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(
                self.inner.settings.rename_concurrency.max(1),
            ));
            let mut work = JoinSet::new();
            for key in pending {
                let (pool, permits) = (self.clone(), permits.clone());
                work.spawn(async move {
                    let _permit = permits.acquire().await;
                    // OpenRouter is known to be failing: leave the rest to the next pass.
                    if pool.inner.client.unavailable_for().is_some() {
                        return Ok(false);
                    }
                    pool.wait_for_idle_calls().await;
                    let update = KeyUpdate {
                        name: Some(key.key_name.clone()),
                        ..KeyUpdate::default()
                    };
                    match pool
                        .inner
                        .client
                        .update_key(&key.or_key_hash, &update)
                        .await
                    {
                        // Gone (an organiser deleted it): nothing left to rename.
                        Ok(_) | Err(OpenRouterError::Api { status: 404, .. }) => {
                            pool.inner.database.mark_renamed(&key.or_key_hash).await?;
                            Ok(true)
                        }
                        Err(error) => {
                            tracing::debug!(%error, "renaming a handed-out pool key failed");
                            Ok(false)
                        }
                    }
                });
            }
            let mut failed_this_page = 0;
            while let Some(outcome) = work.join_next().await {
                match outcome {
                    Ok(Ok(true)) => report.renamed += 1,
                    Ok(Ok(false)) => failed_this_page += 1,
                    Ok(Err(error)) => return Err(error),
                    Err(_) => failed_this_page += 1,
                }
            }
            report.failed += failed_this_page;
            if failed_this_page > 0 {
                tracing::warn!(
                    failed = failed_this_page,
                    "handed-out pool keys keep their pool name for now; renaming them is tried again"
                );
            }
            // A full page may have more behind it; a page with failures would only be
            // read again as it is.
            if !page_was_full || failed_this_page > 0 {
                return Ok(report);
            }
        }
    }
}
