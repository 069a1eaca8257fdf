//! Filling a workshop's pool up to its target: surplus and stale keys withdrawn, stored
//! keys bound in bulk, missing keys created a batch at a time — each stored the moment
//! OpenRouter answers, the pool unsettled while any key may exist that is not stored.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use super::{new_pool_key_name, KeyPool, PoolError, PoolReport};
use crate::db::NewPoolKey;
use crate::openrouter::{utc_timestamp, NewKey, ASSIGN_BATCH};
use crate::registry::Workshop;
use wire::model::Usd;

impl KeyPool {
    /// Keeps the pool at its target: withdraws stale and surplus keys, binds stored
    /// ones, creates the missing in rounds of `fill_batch`.
    pub(super) async fn fill(
        &self,
        workshop: &Arc<Workshop>,
        now: DateTime<Utc>,
        report: &mut PoolReport,
    ) -> Result<(), PoolError> {
        let database = &self.inner.database;
        let slug = &workshop.slug;
        let (limit, expires) = (
            workshop.key_limit.micros(),
            workshop.key_expires_at.timestamp(),
        );
        let target = self.target(workshop).await?;
        let withdrawn = database
            .withdraw_pool_surplus(slug, limit, expires, target)
            .await?;
        report.withdrawn += withdrawn.len();
        self.delete_withdrawn(slug, &withdrawn).await?;
        let state = database.pool_state(slug).await?;
        if self.inner.memory.search_due(slug, &state) {
            report.leftovers_deleted += self.remove_leftovers(workshop).await?;
        }
        if target == 0 {
            return Ok(());
        }
        let guardrail_id = self.inner.guardrails.id(workshop, now).await?;
        report.bound += self.bind(slug, &guardrail_id).await?;
        let mut refilling = false;
        loop {
            let target = self.target(workshop).await?;
            let counts = database.pool_counts(slug, limit, expires).await?;
            let missing = target - counts.ready - counts.unbound;
            // Refill in bulk: wait for a quarter of the target to go, unless the pool is
            // empty; once refilling, fill up.
            let low_water = (target / 4).max(1);
            let worth_it = refilling || missing >= low_water || counts.ready == 0;
            if missing <= 0 || !worth_it {
                return Ok(());
            }
            refilling = true;
            let wanted = (missing as usize).min(self.inner.settings.fill_batch.max(1));
            let (created, failure) = self.create_keys(workshop, wanted).await;
            report.created += created;
            report.bound += self.bind(slug, &guardrail_id).await?;
            if let Some(error) = failure {
                return Err(error);
            }
        }
    }

    /// Creates `count` pool keys, storing each as soon as it exists. Returns how many
    /// were stored and the first failure. The pool is unsettled while they are created,
    /// and settled again afterwards unless a key may exist that was not stored.
    async fn create_keys(
        &self,
        workshop: &Arc<Workshop>,
        count: usize,
    ) -> (usize, Option<PoolError>) {
        let database = &self.inner.database;
        let was_unsettled = match database.pool_state(&workshop.slug).await {
            Ok(state) => state.unsettled,
            Err(error) => return (0, Some(error.into())),
        };
        if !was_unsettled {
            if let Err(error) = database.set_pool_unsettled(&workshop.slug, true).await {
                return (0, Some(error.into()));
            }
        }
        let settings = &self.inner.settings;
        let permits = Arc::new(tokio::sync::Semaphore::new(
            settings.fill_concurrency.max(1),
        ));
        let mut work = JoinSet::new();
        for _ in 0..count {
            let (pool, workshop, permits) = (self.clone(), workshop.clone(), permits.clone());
            work.spawn(async move {
                let _permit = permits.acquire().await;
                pool.wait_for_idle_calls().await;
                pool.create_key(&workshop).await
            });
        }
        let (mut created, mut failure, mut all_accounted) = (0, None, true);
        while let Some(outcome) = work.join_next().await {
            match outcome {
                Ok(Ok(())) => created += 1,
                Ok(Err(CreateFailure {
                    error,
                    key_may_exist,
                })) => {
                    all_accounted &= !key_may_exist;
                    failure = failure.or(Some(error));
                }
                Err(error) => {
                    all_accounted = false;
                    failure = failure.or(Some(PoolError::Crashed(error.to_string())));
                }
            }
        }
        if all_accounted && !was_unsettled {
            if let Err(error) = database.set_pool_unsettled(&workshop.slug, false).await {
                failure = failure.or(Some(error.into()));
            }
        }
        (created, failure)
    }

    /// Claims first: waits while the client has `calls_kept_for_claims` or fewer idle
    /// slots. A pacing loop of the background filler, which no request waits for.
    pub(super) async fn wait_for_idle_calls(&self) {
        // A client with very few slots still leaves the pool one.
        let client = &self.inner.client;
        let kept = (self.inner.settings.calls_kept_for_claims)
            .min(client.max_concurrent_calls().saturating_sub(1));
        while client.idle_slots() <= kept {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn create_key(&self, workshop: &Workshop) -> Result<(), CreateFailure> {
        let name = new_pool_key_name(workshop);
        let new_key = NewKey {
            name: name.clone(),
            limit: Some(Usd::from_micros(workshop.key_limit.micros()).as_dollars()),
            limit_reset: None,
            expires_at: utc_timestamp(workshop.key_expires_at.timestamp()),
        };
        self.inner.memory.count_minting(&workshop.slug, 1);
        let created = self.inner.client.create_key(&new_key).await;
        let outcome = match created {
            Ok(created) => {
                let stored = self
                    .inner
                    .database
                    .store_pool_key(&NewPoolKey {
                        workshop_slug: &workshop.slug,
                        key_name: &name,
                        hash: &created.key.hash,
                        plaintext: &created.plaintext,
                        label: &created.key.label,
                        limit_usd_micros: workshop.key_limit.micros(),
                        expires_at: workshop.key_expires_at.timestamp(),
                        now: Utc::now().timestamp(),
                    })
                    .await;
                match stored {
                    Ok(()) => Ok(()),
                    // Not stored: the key must not stay. If removing it fails too, the
                    // pool stays unsettled and the search finds it by its name.
                    Err(error) => Err(CreateFailure {
                        key_may_exist: !self.inner.orphans.remove_key(&created.key.hash).await,
                        error: error.into(),
                    }),
                }
            }
            Err(error) => {
                let key_may_exist = error.outcome_unknown();
                if key_may_exist {
                    // Search once a call we stopped waiting for can no longer land.
                    self.inner
                        .memory
                        .search_after(&workshop.slug, self.inner.client.timeout() * 2);
                }
                Err(CreateFailure {
                    error: error.into(),
                    key_may_exist,
                })
            }
        };
        self.inner.memory.count_minting(&workshop.slug, -1);
        outcome
    }

    /// Assigns the pool's stored, unbound keys to the guardrail in bulk calls.
    async fn bind(&self, slug: &str, guardrail_id: &str) -> Result<u64, PoolError> {
        let database = &self.inner.database;
        let hashes = database.unbound_pool_keys(slug).await?;
        let mut bound = 0;
        for chunk in hashes.chunks(ASSIGN_BATCH) {
            self.wait_for_idle_calls().await;
            self.inner.client.assign_keys(guardrail_id, chunk).await?;
            bound += database.mark_pool_keys_bound(chunk, guardrail_id).await?;
        }
        Ok(bound)
    }
}

/// Why one pool key was not added, and whether it may exist on OpenRouter regardless.
struct CreateFailure {
    error: PoolError,
    key_may_exist: bool,
}
