//! The claim, exactly once and with nothing lost (design.md, "The claim"):
//!
//! 1. guard ([`guard`]) — window and email domain, before anything is written or sent;
//! 2. reserve — one transaction checks the caps and writes the row (see `db`);
//! 3. ensure the workshop guardrail — once per workshop and process ([`guardrail`]);
//! 4. create the key under the row's mint lease, and store hash and plaintext at once;
//! 5. assign it to the guardrail ([`binder`]), batched with other claims; a failure
//!    leaves the key usable and unbound, retried with backoff and on demand;
//! 6. recover — a reserved row whose earlier attempt may have created a key first
//!    removes every key with the row's name from OpenRouter, then mints again.
//!
//! Only the holder of a row's lease may create and store its key, so twenty tabs of one
//! attendee make one key; the others wait for it. The lease expires, so a process that
//! died mid-mint does not block the row: the next attempt takes over and cleans up.

mod binder;
mod error;
mod guard;
mod orphans;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

pub use binder::{Binder, ASSIGN_BATCH};
pub use error::ClaimError;
pub use guard::check_claim_allowed;

use crate::model::Usd;
use crate::server::db::{
    Attendance, Attendee, ClaimStatus, Database, MintedKey, NewReservation, ReserveOutcome,
};
use crate::server::guardrail::{ensure_guardrail, EnsureGuardrailError};
use crate::server::openrouter::{utc_timestamp, CreatedKey, NewKey, OpenRouterClient, RetryPolicy};
use crate::server::registry::Workshop;

#[derive(Debug, Clone)]
pub struct MintSettings {
    /// How long a request may hold a row's mint lease: longer than the slowest mint
    /// (a few OpenRouter calls with their timeouts and retries).
    pub lease: Duration,
    /// `POST /keys` attempts within one claim; between them, orphans are removed.
    pub create_attempts: u32,
    pub retry: RetryPolicy,
    /// How long a second request for the same row waits for the first to finish.
    pub wait_for_other: Duration,
    /// Assignment calls in flight per guardrail before claims queue into one bulk call.
    pub max_assign_in_flight: usize,
    /// Of the client's concurrent calls, how many `POST /keys` may never take. In a
    /// burst, creates would otherwise hold every slot and the assignments that finish
    /// claims would queue behind all the creates still to come: every claim would end
    /// together at the end of the burst instead of one after another.
    pub calls_kept_for_finishing: usize,
    /// Backoff of the automatic retries of unbound keys.
    pub rebind_first_delay: Duration,
    pub rebind_max_delay: Duration,
    pub rebind_attempts: u32,
}

impl Default for MintSettings {
    fn default() -> Self {
        MintSettings {
            lease: Duration::from_secs(120),
            create_attempts: 3,
            retry: RetryPolicy::default(),
            wait_for_other: Duration::from_secs(30),
            max_assign_in_flight: 8,
            calls_kept_for_finishing: 2,
            rebind_first_delay: Duration::from_secs(2),
            rebind_max_delay: Duration::from_secs(300),
            rebind_attempts: 12,
        }
    }
}

/// What a retry of unbound keys achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BindReport {
    pub bound: u64,
    pub still_unbound: u64,
}

/// The mint service. Cheap to clone; one per process.
#[derive(Clone)]
pub struct Minter {
    inner: Arc<MinterInner>,
}

struct MinterInner {
    database: Database,
    client: OpenRouterClient,
    settings: MintSettings,
    binder: Binder,
    /// Guardrail ids by workshop slug, once ensured. Workshop files change only with a
    /// deploy (a new process), so an entry never goes stale within a process.
    guardrails: tokio::sync::Mutex<HashMap<String, String>>,
    /// Workshops with an automatic rebind scheduled in this process.
    rebinds: Mutex<HashSet<String>>,
    /// Bounds `POST /keys` in flight (see [`MintSettings::calls_kept_for_finishing`]).
    create_permits: tokio::sync::Semaphore,
}

impl Minter {
    pub fn new(database: Database, client: OpenRouterClient, settings: MintSettings) -> Self {
        let binder = Binder::new(
            client.clone(),
            database.clone(),
            settings.max_assign_in_flight,
        );
        let creates = client
            .max_concurrent_calls()
            .saturating_sub(settings.calls_kept_for_finishing)
            .max(1);
        Minter {
            inner: Arc::new(MinterInner {
                database,
                client,
                settings,
                binder,
                guardrails: tokio::sync::Mutex::new(HashMap::new()),
                rebinds: Mutex::new(HashSet::new()),
                create_permits: tokio::sync::Semaphore::new(creates),
            }),
        }
    }

    pub fn client(&self) -> &OpenRouterClient {
        &self.inner.client
    }

    /// The whole claim for `attendee`. Runs in a task of its own, so a request that
    /// goes away mid-claim cannot stop it between creating and storing a key.
    pub async fn claim(
        &self,
        workshop: Arc<Workshop>,
        attendee: Attendee,
        now: DateTime<Utc>,
    ) -> Result<Attendance, ClaimError> {
        let minter = self.clone();
        detached(async move { minter.claim_inline(&workshop, &attendee, now).await }).await
    }

    async fn claim_inline(
        &self,
        workshop: &Arc<Workshop>,
        attendee: &Attendee,
        now: DateTime<Utc>,
    ) -> Result<Attendance, ClaimError> {
        let database = &self.inner.database;
        if let Err(refusal) = check_claim_allowed(workshop, attendee, now) {
            // Someone who has their key keeps getting it after the window closes.
            return match database
                .find_attendance(&attendee.user_id, &workshop.slug)
                .await?
            {
                Some(row) if row.status() != ClaimStatus::Reserved => Ok(row),
                _ => Err(refusal),
            };
        }
        let key_name = key_name(&workshop.slug, &attendee.user_id);
        let reservation = NewReservation {
            user_id: &attendee.user_id,
            workshop_slug: &workshop.slug,
            email_normalized: &attendee.email_normalized,
            key_name: &key_name,
            limit_usd_micros: workshop.key_limit.micros(),
            expires_at: workshop.key_expires_at.timestamp(),
            workshop_cap_usd_micros: workshop.limit.micros(),
            max_attendees: workshop.max_attendees,
            now: now.timestamp(),
        };
        let row = match database.reserve_claim(&reservation).await? {
            ReserveOutcome::Reserved(row) | ReserveOutcome::Existing(row) => row,
            ReserveOutcome::AttendeesFull => {
                return Err(ClaimError::AttendeesFull(
                    workshop.max_attendees.unwrap_or(0),
                ))
            }
            ReserveOutcome::BudgetExhausted => return Err(ClaimError::BudgetExhausted),
        };
        match row.status() {
            ClaimStatus::Bound => Ok(row),
            ClaimStatus::Minted => {
                // The attendee has a working key; binding it is retried in the background.
                self.schedule_rebind(workshop.clone());
                Ok(row)
            }
            ClaimStatus::Reserved => self.mint(workshop, row, now, true).await,
        }
    }

    /// An admin's retry of one attendee's row: mints a reserved row, binds a minted one.
    pub async fn retry_row(
        &self,
        workshop: Arc<Workshop>,
        row: Attendance,
        now: DateTime<Utc>,
    ) -> Result<Attendance, ClaimError> {
        let minter = self.clone();
        detached(async move {
            match row.status() {
                ClaimStatus::Bound => Ok(row),
                ClaimStatus::Reserved => minter.mint(&workshop, row, now, true).await,
                ClaimStatus::Minted => {
                    let guardrail_id = minter.guardrail_id(&workshop, now).await?;
                    let hash = row.or_key_hash.clone().unwrap_or_default();
                    minter.inner.binder.bind_now(&guardrail_id, &[hash]).await?;
                    minter.reload(&row).await
                }
            }
        })
        .await
    }

    /// Ensures the workshop's guardrail ahead of the first claim, so the first attendees
    /// of a room do not wait two extra round trips for it (the server does this at
    /// start-up for every workshop whose claims have not closed).
    pub async fn prepare(&self, workshop: &Workshop, now: DateTime<Utc>) -> Result<(), ClaimError> {
        self.guardrail_id(workshop, now).await.map(|_| ())
    }

    /// Binds every unbound key of the workshop, in bulk calls.
    pub async fn bind_unbound(
        &self,
        workshop: &Workshop,
        now: DateTime<Utc>,
    ) -> Result<BindReport, ClaimError> {
        let unbound = self.inner.database.list_unbound(&workshop.slug).await?;
        let hashes: Vec<String> = unbound
            .into_iter()
            .filter_map(|row| row.or_key_hash)
            .collect();
        if hashes.is_empty() {
            return Ok(BindReport::default());
        }
        let guardrail_id = self.guardrail_id(workshop, now).await?;
        let bound = self.inner.binder.bind_now(&guardrail_id, &hashes).await?;
        Ok(BindReport {
            bound,
            still_unbound: hashes.len() as u64 - bound.min(hashes.len() as u64),
        })
    }

    /// Steps 3 to 5 for a reserved row, under its lease.
    async fn mint(
        &self,
        workshop: &Arc<Workshop>,
        row: Attendance,
        now: DateTime<Utc>,
        may_wait: bool,
    ) -> Result<Attendance, ClaimError> {
        let guardrail_id = self.guardrail_id(workshop, now).await?;
        let database = &self.inner.database;
        let lease = new_lease_token();
        let at = now.timestamp();
        let until = at + self.inner.settings.lease.as_secs() as i64;
        let Some(taken) = database
            .take_mint_lease(&row.user_id, &row.workshop_slug, &lease, at, until)
            .await?
        else {
            if !may_wait {
                return Err(ClaimError::StillMinting);
            }
            return self.wait_for_other(workshop, &row, now).await;
        };
        let minted = self.mint_under_lease(&row, &lease, taken.attempt, at).await;
        let key_hash = match minted {
            Ok(key_hash) => key_hash,
            Err(error) => {
                let reason = format!("minting failed: {error}");
                if let Err(db_error) = database
                    .release_mint_lease(&row.user_id, &row.workshop_slug, &lease, &reason, at)
                    .await
                {
                    tracing::error!(error = %db_error, "releasing a mint lease failed");
                }
                return Err(error);
            }
        };
        if self
            .inner
            .binder
            .bind(&guardrail_id, key_hash)
            .await
            .is_err()
        {
            self.schedule_rebind(workshop.clone());
        }
        self.reload(&row).await
    }

    /// Creates the row's key (after removing leftovers of earlier attempts) and stores
    /// it. Returns the key's hash.
    async fn mint_under_lease(
        &self,
        row: &Attendance,
        lease: &str,
        attempt: i64,
        now: i64,
    ) -> Result<String, ClaimError> {
        if attempt > 1 {
            orphans::remove_keys_named(&self.inner.client, &row.key_name).await?;
        }
        let created = self.create_key(row).await?;
        let stored = self
            .inner
            .database
            .store_minted_key(&MintedKey {
                user_id: &row.user_id,
                workshop_slug: &row.workshop_slug,
                lease,
                hash: &created.key.hash,
                plaintext: created.plaintext.expose(),
                label: &created.key.label,
                now,
            })
            .await?;
        // On a database error above the key is left alone: the store may have committed.
        // If it did not, the row is still reserved with this attempt counted, and the
        // next attempt removes the key by name before minting.
        if !stored {
            // The lease expired and another request took over: this key must not stay.
            orphans::remove_key(&self.inner.client, &created.key.hash).await;
            return Err(ClaimError::StillMinting);
        }
        Ok(created.key.hash)
    }

    /// `POST /keys`, tried again after transient failures. A failure whose outcome is
    /// unknown (a 5xx, a timeout, a lost answer) may have created the key, so keys with
    /// the row's name are removed before the next try and after the last one.
    async fn create_key(&self, row: &Attendance) -> Result<CreatedKey, ClaimError> {
        let settings = &self.inner.settings;
        let new_key = NewKey {
            name: row.key_name.clone(),
            limit: Some(Usd::from_micros(row.limit_usd_micros).as_dollars()),
            limit_reset: None,
            expires_at: utc_timestamp(row.expires_at),
        };
        let mut attempt = 1;
        loop {
            let created = {
                let _slot = self.inner.create_permits.acquire().await;
                self.inner.client.create_key(&new_key).await
            };
            let error = match created {
                Ok(created) => return Ok(created),
                Err(error) => error,
            };
            let last = !error.is_transient() || attempt >= settings.create_attempts;
            if !last {
                tokio::time::sleep(settings.retry.delay(attempt, error.retry_after())).await;
            }
            if error.outcome_unknown() {
                let cleaned = orphans::remove_keys_named(&self.inner.client, &row.key_name).await;
                if let Err(cleanup) = cleaned {
                    tracing::warn!(error = %cleanup, "could not look for a lost key yet; the next attempt will");
                    return Err(error.into());
                }
            }
            if last {
                return Err(error.into());
            }
            attempt += 1;
        }
    }

    /// Another request holds the lease: wait until it stores the key, or take over if it
    /// gave up.
    async fn wait_for_other(
        &self,
        workshop: &Arc<Workshop>,
        row: &Attendance,
        now: DateTime<Utc>,
    ) -> Result<Attendance, ClaimError> {
        let deadline = Instant::now() + self.inner.settings.wait_for_other;
        let mut pause = Duration::from_millis(25);
        loop {
            // Polling, because the minting request may be another server instance.
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(400));
            let current = self.reload(row).await?;
            if current.status() != ClaimStatus::Reserved {
                return Ok(current);
            }
            let lease_free = current
                .mint_lease_until
                .is_none_or(|until| until <= now.timestamp());
            if lease_free {
                return Box::pin(self.mint(workshop, current, now, false)).await;
            }
            if Instant::now() >= deadline {
                return Err(ClaimError::StillMinting);
            }
        }
    }

    /// The workshop's guardrail id, ensured once per process. A transient failure is
    /// tried once more: a lost answer to `POST /guardrails` is then adopted by name.
    async fn guardrail_id(
        &self,
        workshop: &Workshop,
        now: DateTime<Utc>,
    ) -> Result<String, ClaimError> {
        let mut known = self.inner.guardrails.lock().await;
        if let Some(id) = known.get(&workshop.slug) {
            return Ok(id.clone());
        }
        let (database, client) = (&self.inner.database, &self.inner.client);
        let id = match ensure_guardrail(database, client, workshop, now.timestamp()).await {
            Err(EnsureGuardrailError::OpenRouter(error)) if error.is_transient() => {
                let wait = self.inner.settings.retry.delay(1, error.retry_after());
                tokio::time::sleep(wait).await;
                ensure_guardrail(database, client, workshop, now.timestamp()).await?
            }
            other => other?,
        };
        known.insert(workshop.slug.clone(), id.clone());
        Ok(id)
    }

    /// Retries the workshop's unbound keys in the background with backoff, once per
    /// workshop and process at a time.
    fn schedule_rebind(&self, workshop: Arc<Workshop>) {
        let fresh = self
            .inner
            .rebinds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(workshop.slug.clone());
        if !fresh {
            return;
        }
        let minter = self.clone();
        tokio::spawn(async move {
            let settings = &minter.inner.settings;
            let mut delay = settings.rebind_first_delay;
            for _ in 0..settings.rebind_attempts {
                tokio::time::sleep(delay).await;
                match minter.bind_unbound(&workshop, Utc::now()).await {
                    Ok(report) if report.still_unbound == 0 => break,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, slug = %workshop.slug, "automatic rebind failed")
                    }
                }
                delay = (delay * 2).min(settings.rebind_max_delay);
            }
            minter
                .inner
                .rebinds
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&workshop.slug);
        });
    }

    async fn reload(&self, row: &Attendance) -> Result<Attendance, ClaimError> {
        self.inner
            .database
            .find_attendance(&row.user_id, &row.workshop_slug)
            .await?
            .ok_or(ClaimError::NothingToFinish)
    }
}

/// Runs `work` in a task of its own and waits for it: a request that goes away stops
/// waiting, but never stops the work between creating and storing a key.
async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, ClaimError>> + Send + 'static,
) -> Result<T, ClaimError> {
    tokio::spawn(work)
        .await
        .unwrap_or_else(|error| Err(ClaimError::Crashed(error.to_string())))
}

/// The OpenRouter name of an attendee's key: `workshop-<slug>-<16 hex>`, derived from the
/// user id so a lost key can be found again, without putting an email on OpenRouter.
pub fn key_name(workshop_slug: &str, user_id: &str) -> String {
    let digest = Sha256::digest(user_id.as_bytes());
    let short: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("workshop-{workshop_slug}-{short}")
}

fn new_lease_token() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
