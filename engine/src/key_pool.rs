//! The warm key pool (issue 13): [`KeyPool`], keys minted, stored and bound to the guardrail *before*
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
//!
//! The pool's state lives in the database (`db::key_pool`: its keys, whether it is
//! settled, its closure); this process remembers only hints ([`memory`]). Its interface
//! is small: the background loop calls [`KeyPool::tend`] and [`KeyPool::rename_soon`],
//! the mint calls [`KeyPool::rename_soon`] after a claim took a pool key, and the admin
//! page and metrics read [`KeyPool::status`].

mod close;
mod fill;
mod leftovers;
mod memory;
mod rename;
mod settings;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::db::{Database, DbError};
use crate::detached::DetachedWork;
use crate::guardrail::{EnsureGuardrailError, Guardrails};
use crate::leases::{Finished, Leases};
use crate::openrouter::{OpenRouterClient, OpenRouterError};
use crate::orphans::OrphanRemover;
use crate::registry::Workshop;
use memory::PoolMemory;

pub use rename::RenameReport;
pub use settings::{pool_phase, PoolPhase, PoolReport, PoolSettings, PoolStatus};

/// How long a pool's lease lasts without its holder's heartbeat.
const LEASE: Duration = Duration::from_secs(20);

/// Why a round of upkeep stopped early. The round's work so far is kept; the next round
/// takes it from there.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error(transparent)]
    OpenRouter(#[from] OpenRouterError),
    #[error("database: {0}")]
    Database(#[from] DbError),
    /// Another instance is preparing the workshop guardrail and did not finish in time.
    #[error("another instance is still preparing the workshop guardrail")]
    GuardrailBusy,
    /// A create's task panicked or was cancelled at shutdown.
    #[error("a pool task stopped: {0}")]
    Crashed(String),
}

impl From<EnsureGuardrailError> for PoolError {
    fn from(error: EnsureGuardrailError) -> Self {
        match error {
            EnsureGuardrailError::OpenRouter(error) => PoolError::OpenRouter(error),
            EnsureGuardrailError::Database(error) => PoolError::Database(error),
            EnsureGuardrailError::Busy => PoolError::GuardrailBusy,
        }
    }
}

/// Every workshop's warm pool in this process. Cheap to clone; one per process.
#[derive(Clone)]
pub struct KeyPool {
    inner: Arc<Inner>,
}

struct Inner {
    database: Database,
    client: OpenRouterClient,
    settings: PoolSettings,
    guardrails: Guardrails,
    orphans: OrphanRemover,
    /// This instance's background leases: one `key-pool:<slug>` per workshop tended.
    leases: Leases,
    /// Renames run here, so a draining server lets those under way finish.
    detached: DetachedWork,
    memory: PoolMemory,
    renamer: rename::RenamerFlags,
}

/// What the pool shares with the mint of its process.
pub struct PoolParts {
    pub database: Database,
    pub client: OpenRouterClient,
    pub guardrails: Guardrails,
    pub orphans: OrphanRemover,
    pub leases: Leases,
    pub detached: DetachedWork,
}

impl KeyPool {
    pub fn new(parts: PoolParts, settings: PoolSettings) -> Self {
        let PoolParts {
            database,
            client,
            guardrails,
            orphans,
            leases,
            detached,
        } = parts;
        KeyPool {
            inner: Arc::new(Inner {
                database,
                client,
                settings,
                guardrails,
                orphans,
                leases,
                detached,
                memory: PoolMemory::default(),
                renamer: rename::RenamerFlags::default(),
            }),
        }
    }

    /// One round of upkeep of `workshop`'s pool at `now` (workshop time): fill it, or
    /// empty it after the close. `None` when another instance (or another round in
    /// this one) is already at it.
    #[tracing::instrument(name = "pool", skip_all, fields(slug = %workshop.slug))]
    pub async fn tend(
        &self,
        workshop: &Arc<Workshop>,
        now: DateTime<Utc>,
    ) -> Result<Option<PoolReport>, PoolError> {
        let phase = pool_phase(workshop, now, self.inner.settings.lead);
        if phase == PoolPhase::NotYet || !self.needs_care(workshop, phase, now).await? {
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
                    PoolPhase::Filling => self.fill(workshop, now, &mut report).await,
                    PoolPhase::Closed => self.close(workshop, now, &mut report).await,
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
        let newest = self.inner.guardrails.carries_newest_file(workshop).await?;
        if self
            .inner
            .memory
            .newly_left_to_newer(&workshop.slug, newest)
        {
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
    async fn needs_care(
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
        Ok(never_closed || (keys_alive && self.inner.memory.search_due(&workshop.slug, &state)))
    }

    async fn target(&self, workshop: &Workshop) -> Result<i64, DbError> {
        let (claims, committed) = self.inner.database.workshop_totals(&workshop.slug).await?;
        Ok(workshop.pool_target(claims, committed))
    }

    /// The pool's figures for the admin page, at `now` (workshop time).
    pub async fn status(
        &self,
        workshop: &Workshop,
        now: DateTime<Utc>,
    ) -> Result<PoolStatus, DbError> {
        let database = &self.inner.database;
        let phase = pool_phase(workshop, now, self.inner.settings.lead);
        let counts = database
            .pool_counts(
                &workshop.slug,
                workshop.key_limit.micros(),
                workshop.key_expires_at.timestamp(),
            )
            .await?;
        let target = match phase {
            PoolPhase::Closed => 0,
            _ => self.target(workshop).await?,
        };
        Ok(PoolStatus {
            phase_filling: phase == PoolPhase::Filling,
            target,
            ready: counts.ready,
            minting: self.inner.memory.minting(&workshop.slug) + counts.unbound,
            deleted_at_close: database
                .pool_state(&workshop.slug)
                .await?
                .closure
                .map(|closure| closure.keys_deleted),
        })
    }
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
