//! The warm key pool (issue 13): keys minted, stored and bound to the guardrail *before*
//! the attendees arrive, so a claim hands one out inside its reservation transaction and
//! answers without a single OpenRouter call — in milliseconds, and even while OpenRouter
//! is down.
//!
//! - **Filling.** From `lead` (30 min by default) before claims open until they close, the
//!   server keeps each workshop's pool at its target (`key_pool` in the workshop file; rule
//!   in `registry::key_pool_size`). Keys are named `workshop-<slug>-pool-<20 hex>`, get
//!   the workshop's per-key limit and expiry, are stored the moment `POST /keys` answers
//!   and are assigned to the guardrail in bulk; only bound keys can be handed out. One
//!   instance tends a pool at a time (a `background_leases` row per workshop). Filling
//!   yields to claims: it starts a call only while the OpenRouter client has more than
//!   `calls_kept_for_claims` idle slots, and uses at most `fill_concurrency` of them.
//! - **Handing out** happens in `db::attendance` (the reservation). Afterwards the key is
//!   renamed to the attendee's deterministic name in the background ([`rename`]), so
//!   OpenRouter's dashboard shows whose it is; a failed rename is retried and never
//!   touches the attendee's claim.
//! - **Closing.** Once the window closes, every unclaimed pool key is taken out of the
//!   pool and deleted from OpenRouter (checked every tick, so also at start-up).
//! - **Leftovers.** A pool key OpenRouter created but we never stored (a crash, a lost
//!   answer) carries the pool prefix: [`leftovers`] pages through the account's keys and
//!   deletes every such key the database does not hold. The pool is marked *unsettled* in
//!   the database just before keys are created and settled once each of them is stored
//!   (or known not to exist), so the search runs only when it can find something: after a
//!   crash mid-batch (the next round, in whichever process), a create whose outcome is
//!   unknown (once it can no longer land), or a withdrawn key that could not be deleted.
//! - **Refilling** waits until a quarter of the target is missing (or the pool is empty),
//!   so keys are bound in bulk calls rather than one assignment per claim.
//!
//! The caps are untouched: a pool key counts against places and budget only once handed
//! out, and the target never exceeds the places that remain.

mod leftovers;
mod rename;

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use super::{ClaimError, Minter};
use crate::db::{DbError, NewPoolKey, PoolState};
use crate::leases::Finished;
use crate::openrouter::{utc_timestamp, NewKey};
use crate::registry::Workshop;
use wire::model::Usd;

pub use rename::RenameReport;

#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// How long before claims open filling starts (`KEY_POOL_LEAD_MINUTES`).
    pub lead: Duration,
    /// Pool keys created at once, at most.
    pub fill_concurrency: usize,
    /// A pool call starts only while more of the client's slots than this are idle, so
    /// claims that mint directly never queue behind the filler.
    pub calls_kept_for_claims: usize,
    /// Keys created before they are bound together in one assignment call.
    pub fill_batch: usize,
    /// Renames in flight at once.
    pub rename_concurrency: usize,
    /// Backoff of the renamer after a failed pass.
    pub rename_first_delay: Duration,
    pub rename_max_delay: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            lead: Duration::from_secs(30 * 60),
            fill_concurrency: 8,
            calls_kept_for_claims: 4,
            fill_batch: 100,
            rename_concurrency: 4,
            rename_first_delay: Duration::from_secs(1),
            rename_max_delay: Duration::from_secs(60),
        }
    }
}

/// Where a workshop's pool is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolPhase {
    /// More than the lead time before claims open: nothing is minted yet.
    NotYet,
    /// From the lead time before opening until claims close: kept at its target.
    Filling,
    /// Claims closed: whatever is left is deleted.
    Closed,
}

pub fn pool_phase(workshop: &Workshop, now: DateTime<Utc>, lead: Duration) -> PoolPhase {
    let lead = chrono::Duration::from_std(lead).unwrap_or(chrono::Duration::zero());
    if now >= workshop.claims_close_at {
        PoolPhase::Closed
    } else if now >= workshop.claims_open_at - lead {
        PoolPhase::Filling
    } else {
        PoolPhase::NotYet
    }
}

/// What one round of upkeep did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolReport {
    /// Keys created and stored.
    pub created: usize,
    /// Keys bound to the guardrail (ready from then on).
    pub bound: u64,
    /// Keys taken out of the pool: stale after a changed workshop file, above a lowered
    /// target, or left at the close.
    pub withdrawn: usize,
    /// Unstored pool keys found on OpenRouter and deleted.
    pub leftovers_deleted: usize,
}

/// The pool's figures for the admin page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStatus {
    pub phase_filling: bool,
    /// Ready keys it keeps now (0 when off or outside the window).
    pub target: i64,
    pub ready: i64,
    /// Keys being created (on this instance) or stored but not yet bound.
    pub minting: i64,
    /// Keys deleted when the window closed; `None` until it closes.
    pub deleted_at_close: Option<i64>,
}

/// This process's memory of the pools it tends.
#[derive(Default)]
pub(super) struct PoolMemory {
    /// Creates in flight per workshop.
    minting: std::sync::Mutex<HashMap<String, i64>>,
    /// A search for leftovers waits until then: a create that timed out may still land.
    search_not_before: std::sync::Mutex<HashMap<String, Instant>>,
    pub(super) renamer: rename::RenamerFlags,
    /// Workshops whose newest file another instance carries (said once in the logs).
    left_to_newer: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// How long a pool's lease lasts without its holder's heartbeat.
const LEASE: Duration = Duration::from_secs(20);

impl Minter {
    /// One round of upkeep of `workshop`'s pool at `now` (workshop time): fill it, or
    /// empty it after the close. `None` when another instance (or another round in
    /// this one) is already at it.
    #[tracing::instrument(name = "pool", skip_all, fields(slug = %workshop.slug))]
    pub async fn tend_pool(
        &self,
        workshop: &Arc<Workshop>,
        now: DateTime<Utc>,
    ) -> Result<Option<PoolReport>, ClaimError> {
        let phase = pool_phase(workshop, now, self.inner.settings.pool.lead);
        if phase == PoolPhase::NotYet || !self.pool_needs_care(workshop, phase, now).await? {
            return Ok(None);
        }
        if !self.tends_this_version(workshop).await? {
            return Ok(None);
        }
        let mut report = PoolReport::default();
        let lease_name = format!("key-pool:{}", workshop.slug);
        let tended = self
            .inner
            .leases
            .with_lease(&lease_name, Utc::now().timestamp(), LEASE, |_| async {
                let outcome = match phase {
                    PoolPhase::Filling => self.fill_pool(workshop, now, &mut report).await,
                    PoolPhase::Closed => self.close_pool(workshop, now, &mut report).await,
                    PoolPhase::NotYet => Ok(()),
                };
                Finished::from(outcome)
            })
            .await?;
        let Some(outcome) = tended else {
            return Ok(None);
        };
        if report != PoolReport::default() {
            tracing::info!(
                created = report.created,
                bound = report.bound,
                withdrawn = report.withdrawn,
                leftovers_deleted = report.leftovers_deleted,
                "tended the key pool"
            );
        }
        outcome.map(|()| Some(report))
    }

    /// Whether this instance carries the newest running version of the workshop's file;
    /// if not, its pool is left to the instances that do (said once in the logs).
    async fn tends_this_version(&self, workshop: &Workshop) -> Result<bool, DbError> {
        let newest = self.carries_newest_file(workshop).await?;
        let mut left = self
            .inner
            .pool
            .left_to_newer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if newest {
            left.remove(&workshop.slug);
        } else if left.insert(workshop.slug.clone()) {
            tracing::info!(
                slug = %workshop.slug,
                "another instance runs a newer version of this workshop's file; its pool and guardrail are left to it"
            );
        }
        Ok(newest)
    }

    /// Whether a round has anything to do: while filling, always for a workshop with a
    /// pool (the target moves with every claim); otherwise while keys are in its pool,
    /// its close is not recorded, or a search for leftovers is due (not after the keys
    /// expired: expired keys are dead on OpenRouter, nothing is worth searching then).
    async fn pool_needs_care(
        &self,
        workshop: &Workshop,
        phase: PoolPhase,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let database = &self.inner.database;
        let has_pool = !workshop.key_pool.is_off();
        if phase == PoolPhase::Filling && has_pool {
            return Ok(true);
        }
        if !database.pool_is_empty(&workshop.slug).await? {
            return Ok(true);
        }
        let state = database.pool_state(&workshop.slug).await?;
        let never_closed = phase == PoolPhase::Closed && has_pool && state.closure.is_none();
        let keys_alive = now < workshop.key_expires_at;
        Ok(never_closed || (keys_alive && self.search_due(&workshop.slug, &state)))
    }

    /// Keeps the pool at its target: withdraws stale and surplus keys, binds stored
    /// ones, creates the missing in rounds of `fill_batch`.
    async fn fill_pool(
        &self,
        workshop: &Arc<Workshop>,
        now: DateTime<Utc>,
        report: &mut PoolReport,
    ) -> Result<(), ClaimError> {
        let database = &self.inner.database;
        let slug = &workshop.slug;
        let (limit, expires) = (
            workshop.key_limit.micros(),
            workshop.key_expires_at.timestamp(),
        );
        let target = self.pool_target(workshop).await?;
        let withdrawn = database
            .withdraw_pool_surplus(slug, limit, expires, target)
            .await?;
        report.withdrawn += withdrawn.len();
        self.delete_pool_keys(slug, &withdrawn).await?;
        let state = database.pool_state(slug).await?;
        if self.search_due(slug, &state) {
            report.leftovers_deleted += self.remove_pool_leftovers(workshop).await?;
        }
        if target == 0 {
            return Ok(());
        }
        let guardrail_id = self.guardrail_id(workshop, now).await?;
        report.bound += self.bind_pool_keys(slug, &guardrail_id).await?;
        let mut refilling = false;
        loop {
            let target = self.pool_target(workshop).await?;
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
            let wanted = (missing as usize).min(self.inner.settings.pool.fill_batch.max(1));
            let (created, failure) = self.create_pool_keys(workshop, wanted).await;
            report.created += created;
            report.bound += self.bind_pool_keys(slug, &guardrail_id).await?;
            if let Some(error) = failure {
                return Err(error);
            }
        }
    }

    async fn pool_target(&self, workshop: &Workshop) -> Result<i64, DbError> {
        let (claims, committed) = self.inner.database.workshop_totals(&workshop.slug).await?;
        Ok(workshop.pool_target(claims, committed))
    }

    /// Creates `count` pool keys, storing each as soon as it exists. Returns how many
    /// were stored and the first failure. The pool is unsettled while they are created,
    /// and settled again afterwards unless a key may exist that was not stored.
    async fn create_pool_keys(
        &self,
        workshop: &Arc<Workshop>,
        count: usize,
    ) -> (usize, Option<ClaimError>) {
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
        let settings = &self.inner.settings.pool;
        let permits = Arc::new(tokio::sync::Semaphore::new(
            settings.fill_concurrency.max(1),
        ));
        let mut work = JoinSet::new();
        for _ in 0..count {
            let (minter, workshop, permits) = (self.clone(), workshop.clone(), permits.clone());
            work.spawn(async move {
                let _permit = permits.acquire().await;
                minter.wait_for_idle_calls().await;
                minter.create_pool_key(&workshop).await
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
                    failure = failure.or(Some(ClaimError::Crashed(error.to_string())));
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
    async fn wait_for_idle_calls(&self) {
        // A client with very few slots still leaves the pool one.
        let client = &self.inner.client;
        let kept = (self.inner.settings.pool.calls_kept_for_claims)
            .min(client.max_concurrent_calls().saturating_sub(1));
        while client.idle_slots() <= kept {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn create_pool_key(&self, workshop: &Workshop) -> Result<(), CreateFailure> {
        let name = new_pool_key_name(workshop);
        let new_key = NewKey {
            name: name.clone(),
            limit: Some(Usd::from_micros(workshop.key_limit.micros()).as_dollars()),
            limit_reset: None,
            expires_at: utc_timestamp(workshop.key_expires_at.timestamp()),
        };
        self.count_minting(&workshop.slug, 1);
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
                    self.search_after(&workshop.slug, self.inner.client.timeout() * 2);
                }
                Err(CreateFailure {
                    error: error.into(),
                    key_may_exist,
                })
            }
        };
        self.count_minting(&workshop.slug, -1);
        outcome
    }

    /// Assigns the pool's stored, unbound keys to the guardrail in bulk calls.
    async fn bind_pool_keys(&self, slug: &str, guardrail_id: &str) -> Result<u64, ClaimError> {
        let database = &self.inner.database;
        let hashes = database.unbound_pool_keys(slug).await?;
        let mut bound = 0;
        for chunk in hashes.chunks(super::ASSIGN_BATCH) {
            self.wait_for_idle_calls().await;
            self.inner.client.assign_keys(guardrail_id, chunk).await?;
            bound += database.mark_pool_keys_bound(chunk, guardrail_id).await?;
        }
        Ok(bound)
    }

    /// Deletes withdrawn pool keys from OpenRouter. A key that cannot be deleted now
    /// leaves the pool unsettled: the search for leftovers finds it by its name.
    async fn delete_pool_keys(&self, slug: &str, hashes: &[String]) -> Result<(), DbError> {
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

    /// After the close: every key left in the pool is withdrawn and deleted, and the
    /// account is searched once for pool keys nobody stored.
    async fn close_pool(
        &self,
        workshop: &Arc<Workshop>,
        now: DateTime<Utc>,
        report: &mut PoolReport,
    ) -> Result<(), ClaimError> {
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
        self.delete_pool_keys(slug, &withdrawn).await?;
        let state = database.pool_state(slug).await?;
        if now < workshop.key_expires_at && self.search_due(slug, &state) {
            report.leftovers_deleted += self.remove_pool_leftovers(workshop).await?;
        }
        Ok(())
    }

    /// The pool's figures for the admin page, at `now` (workshop time).
    pub async fn pool_status(
        &self,
        workshop: &Workshop,
        now: DateTime<Utc>,
    ) -> Result<PoolStatus, DbError> {
        let database = &self.inner.database;
        let phase = pool_phase(workshop, now, self.inner.settings.pool.lead);
        let counts = database
            .pool_counts(
                &workshop.slug,
                workshop.key_limit.micros(),
                workshop.key_expires_at.timestamp(),
            )
            .await?;
        let target = match phase {
            PoolPhase::Closed => 0,
            _ => self.pool_target(workshop).await?,
        };
        let in_flight = self
            .inner
            .pool
            .minting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&workshop.slug)
            .copied()
            .unwrap_or(0);
        Ok(PoolStatus {
            phase_filling: phase == PoolPhase::Filling,
            target,
            ready: counts.ready,
            minting: in_flight + counts.unbound,
            deleted_at_close: database
                .pool_state(&workshop.slug)
                .await?
                .closure
                .map(|closure| closure.keys_deleted),
        })
    }

    fn count_minting(&self, slug: &str, change: i64) {
        let mut minting = self
            .inner
            .pool
            .minting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *minting.entry(slug.to_string()).or_default() += change;
    }

    /// Whether the account should be searched for the pool's leftovers now.
    fn search_due(&self, slug: &str, state: &PoolState) -> bool {
        let not_before = self
            .inner
            .pool
            .search_not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(slug)
            .copied();
        state.unsettled && not_before.is_none_or(|at| at <= Instant::now())
    }

    fn search_after(&self, slug: &str, after: Duration) {
        self.inner
            .pool
            .search_not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(slug.to_string(), Instant::now() + after);
    }
}

/// Why one pool key was not added, and whether it may exist on OpenRouter regardless.
struct CreateFailure {
    error: ClaimError,
    key_may_exist: bool,
}

/// `workshop-<slug>-pool-<20 hex>`: random, so two instances never name two keys alike,
/// and 20 hex digits where attendees' keys have 16, so no attendee key of any workshop
/// (`workshop-<slug>-pool-…` is a possible slug) can look like a pool key.
fn new_pool_key_name(workshop: &Workshop) -> String {
    use rand::Rng;
    let bytes: [u8; 10] = rand::rng().random();
    let random: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{}{random}", workshop.pool_key_prefix())
}

/// Whether `name` is one [`new_pool_key_name`] could have made for `workshop`.
pub fn is_pool_key_name(workshop: &Workshop, name: &str) -> bool {
    name.strip_prefix(&workshop.pool_key_prefix())
        .is_some_and(|random| {
            random.len() == 20
                && random
                    .bytes()
                    .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
        })
}
