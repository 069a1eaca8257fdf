//! Pool keys OpenRouter holds but the database does not: the process died between
//! `POST /keys` and storing the key, a create timed out and was applied anyway, or a
//! withdrawn key could not be deleted at once. Their names carry the pool prefix, so a
//! walk through the account's key listing finds them; each one the database does not
//! hold (neither in the pool nor on a claim) is deleted.
//!
//! The search runs only under the workshop's pool lease and never while this round is
//! creating keys, so it cannot mistake a key being stored right now for a leftover, and
//! only while the pool is marked unsettled (see the parent module).

use super::{is_pool_key_name, KeyPool, PoolError};
use crate::openrouter::KEYS_PAGE_SIZE;
use crate::registry::Workshop;

impl KeyPool {
    /// Deletes the workshop's pool keys nobody stored. Returns how many.
    pub(super) async fn remove_leftovers(&self, workshop: &Workshop) -> Result<usize, PoolError> {
        let client = &self.inner.client;
        let mut candidates = Vec::new();
        let mut offset = 0;
        loop {
            let page = client.list_keys(offset, true).await?;
            let count = page.len();
            candidates.extend(
                page.into_iter()
                    .filter(|key| is_pool_key_name(workshop, &key.name))
                    .map(|key| key.hash),
            );
            offset += count;
            if count < KEYS_PAGE_SIZE {
                break;
            }
        }
        let stored = self.inner.database.stored_key_hashes(&candidates).await?;
        let mut deleted = 0;
        for hash in candidates.iter().filter(|hash| !stored.contains(*hash)) {
            client.delete_key(hash).await?;
            deleted += 1;
        }
        if deleted > 0 {
            tracing::warn!(
                deleted,
                "deleted pool keys whose plaintext was never stored"
            );
        }
        // Every pool key on OpenRouter is now one the database holds; this round holds
        // the pool's lease, so no create is in flight.
        self.inner
            .database
            .set_pool_unsettled(&workshop.slug, false)
            .await?;
        Ok(deleted)
    }
}
