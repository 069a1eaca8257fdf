//! Taking keys out of a pool: withdrawn keys deleted from OpenRouter, and after the
//! window closes the whole pool emptied and its closure recorded.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{KeyPool, PoolError, PoolReport};
use crate::db::DbError;
use crate::registry::Workshop;

impl KeyPool {
    /// After the close: every key left in the pool is withdrawn and deleted, and the
    /// account is searched once for pool keys nobody stored.
    pub(super) async fn close(
        &self,
        workshop: &Arc<Workshop>,
        now: DateTime<Utc>,
        report: &mut PoolReport,
    ) -> Result<(), PoolError> {
        let database = &self.inner.database;
        let slug = &workshop.slug;
        let withdrawn = database.withdraw_whole_pool(slug).await?;
        report.withdrawn += withdrawn.len();
        let first_close = database.pool_state(slug).await?.closure.is_none();
        if first_close || !withdrawn.is_empty() {
            database
                .record_pool_closure(slug, withdrawn.len() as i64, now.timestamp())
                .await?;
        }
        self.delete_withdrawn(slug, &withdrawn).await?;
        let state = database.pool_state(slug).await?;
        if now < workshop.key_expires_at && self.inner.memory.search_due(slug, &state) {
            report.leftovers_deleted += self.remove_leftovers(workshop).await?;
        }
        Ok(())
    }

    /// Deletes withdrawn pool keys from OpenRouter. A key that cannot be deleted now
    /// leaves the pool unsettled: the search for leftovers finds it by its name.
    pub(super) async fn delete_withdrawn(
        &self,
        slug: &str,
        hashes: &[String],
    ) -> Result<(), DbError> {
        let mut left_behind = false;
        for hash in hashes {
            if let Err(error) = self.inner.client.delete_key(hash).await {
                tracing::warn!(%error, "could not delete a withdrawn pool key yet; the leftover search will");
                left_behind = true;
            }
        }
        if left_behind {
            self.inner.database.set_pool_unsettled(slug, true).await?;
        }
        Ok(())
    }
}
