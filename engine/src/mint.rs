//! The claim, exactly once and with nothing lost (docs/architecture.md, "The claim"):
//!
//! 1. guard ([`guard`]) — window and email domain, before anything is written or sent;
//! 2. reserve — one transaction checks the caps and writes the row (see `db`); a row of
//!    the same mailbox under another sign-in is handed over only when the two addresses
//!    are provably one mailbox;
//! 3. ensure the workshop guardrail — once per workshop and process ([`Guardrails`]);
//! 4. create the key under the row's mint lease, and store hash and plaintext at once;
//! 5. assign it to the guardrail ([`binder`]), batched with other claims; a failure
//!    leaves the key usable and unbound, retried with backoff and on demand;
//! 6. recover — a reserved row whose earlier attempt may have created a key first
//!    removes every key with the row's name from OpenRouter ([`OrphanRemover`]), then mints
//!    again; reservations nobody finishes (a crash, an outage) are finished by the
//!    [`sweep`] in the background, whether or not their attendee comes back.
//!
//! With a warm key pool ([`KeyPool`]), step 2 hands out a key minted, stored and bound
//! before the attendee arrived, and steps 3 to 6 do not happen: the claim makes no
//! OpenRouter call. An empty pool falls back to the steps above.
//!
//! Only the holder of a row's lease may create and store its key, so twenty tabs of one
//! attendee make one key; the others wait for it. The lease is short and renewed by the
//! holder's heartbeat, so a process that died mid-mint blocks the row for seconds only.

mod binder;
mod error;
mod guard;
mod sweep;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use binder::Binder;
pub use error::ClaimError;
pub use guard::check_claim_allowed;
pub use sweep::SweepReport;

use crate::db::{
    Attendance, Attendee, ClaimState, Database, DbError, MintedKey, NewReservation, ReserveOutcome,
};
use crate::detached::DetachedWork;
use crate::email::{mask_email, same_mailbox};
use crate::guardrail::Guardrails;
use crate::key_pool::{KeyPool, PoolParts, PoolSettings};
use crate::leases::{Heartbeat, Leases};
use crate::metrics::{record_claim, ClaimOutcome};
use crate::openrouter::{
    asked_by_a_person, utc_timestamp, CreatedKey, NewKey, OpenRouterClient, RetryPolicy,
    LONGEST_RETRY_WAIT,
};
use crate::orphans::OrphanRemover;
use crate::registry::Workshop;
use wire::model::Usd;

#[derive(Debug, Clone)]
pub struct MintSettings {
    /// How long a row's mint lease lasts without its holder's heartbeat: how long a
    /// holder that died blocks the row.
    pub lease: Duration,
    /// How often a living holder renews its lease.
    pub lease_heartbeat: Duration,
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
    /// A reservation untouched this long with nobody minting it is finished by the sweep.
    pub sweep_stalled_after: Duration,
    /// Reservations the sweep finishes per pass, and at once.
    pub sweep_batch: i64,
    pub sweep_concurrency: usize,
    pub pool: PoolSettings,
    /// This instance's name in the leases the mint takes (each workshop's pool and
    /// guardrail). The server gives its own, used for every lease it takes, so that a
    /// draining instance can hand all of them back at once.
    pub instance: String,
}

impl Default for MintSettings {
    fn default() -> Self {
        MintSettings {
            lease: Duration::from_secs(10),
            lease_heartbeat: Duration::from_secs(3),
            create_attempts: 3,
            retry: RetryPolicy::default(),
            wait_for_other: Duration::from_secs(30),
            max_assign_in_flight: 8,
            calls_kept_for_finishing: 2,
            rebind_first_delay: Duration::from_secs(2),
            rebind_max_delay: Duration::from_secs(300),
            rebind_attempts: 12,
            sweep_stalled_after: Duration::from_secs(5),
            sweep_batch: 100,
            sweep_concurrency: 32,
            pool: PoolSettings::default(),
            instance: format!("minter-{}-{}", std::process::id(), new_lease_token()),
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
    orphans: OrphanRemover,
    guardrails: Guardrails,
    /// Workshops with an automatic rebind scheduled in this process.
    rebinds: Mutex<HashSet<String>>,
    /// Bounds `POST /keys` in flight (see [`MintSettings::calls_kept_for_finishing`]).
    create_permits: tokio::sync::Semaphore,
    pool: KeyPool,
    /// This instance's background leases (guardrails, pools), under its one holder id.
    leases: Leases,
    /// Detached work — claims, assignments, renames — that a draining server waits for.
    detached: DetachedWork,
}

impl Minter {
    pub fn new(database: Database, client: OpenRouterClient, settings: MintSettings) -> Self {
        let detached = DetachedWork::default();
        let binder = Binder::new(
            client.clone(),
            database.clone(),
            settings.max_assign_in_flight,
            detached.clone(),
        );
        let creates = client
            .max_concurrent_calls()
            .saturating_sub(settings.calls_kept_for_finishing)
            .max(1);
        let leases = Leases::new(database.clone(), &settings.instance);
        let guardrails = Guardrails::new(
            database.clone(),
            client.clone(),
            settings.retry,
            leases.clone(),
        );
        let orphans = OrphanRemover::new(client.clone());
        let pool = KeyPool::new(
            PoolParts {
                database: database.clone(),
                client: client.clone(),
                guardrails: guardrails.clone(),
                orphans: orphans.clone(),
                leases: leases.clone(),
                detached: detached.clone(),
            },
            settings.pool.clone(),
        );
        Minter {
            inner: Arc::new(MinterInner {
                orphans,
                database,
                client,
                settings,
                binder,
                guardrails,
                rebinds: Mutex::new(HashSet::new()),
                create_permits: tokio::sync::Semaphore::new(creates),
                pool,
                leases,
                detached,
            }),
        }
    }

    pub fn client(&self) -> &OpenRouterClient {
        &self.inner.client
    }

    pub fn settings(&self) -> &MintSettings {
        &self.inner.settings
    }

    /// The workshops' warm key pools, which this mint hands out from.
    pub fn pool(&self) -> &KeyPool {
        &self.inner.pool
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
        let started = Instant::now();
        let slug = workshop.slug.clone();
        let claimed = self
            .detached(async move { minter.claim_inline(&workshop, &attendee, now).await })
            .await;
        let outcome = match &claimed {
            Ok((_, outcome)) => *outcome,
            Err(error) => error.outcome(),
        };
        record_claim(&slug, outcome, started.elapsed());
        claimed.map(|(row, _)| row)
    }

    #[tracing::instrument(name = "claim", skip_all, fields(slug = %workshop.slug))]
    async fn claim_inline(
        &self,
        workshop: &Arc<Workshop>,
        attendee: &Attendee,
        now: DateTime<Utc>,
    ) -> Result<(Attendance, ClaimOutcome), ClaimError> {
        let database = &self.inner.database;
        if let Err(refusal) = check_claim_allowed(workshop, attendee, now) {
            // Someone who has their key keeps getting it after the window closes.
            return match database
                .find_attendance(&attendee.user_id, &workshop.slug)
                .await?
            {
                Some(row) if row.key_hash().is_some() => Ok((row, ClaimOutcome::Existing)),
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
            take_from_pool: !workshop.key_pool.is_off(),
            now: now.timestamp(),
        };
        let (row, found) = match database
            .reserve_claim(&reservation)
            .instrument(tracing::debug_span!("reserve"))
            .await?
        {
            ReserveOutcome::Reserved(row) => {
                if row.pool_key_name.is_some() {
                    // A pool key: the claim is done; its name follows in the background.
                    self.inner.pool.rename_soon();
                }
                let outcome = if row.pool_key_name.is_some() {
                    ClaimOutcome::Pool
                } else {
                    ClaimOutcome::Minted
                };
                (row, outcome)
            }
            ReserveOutcome::Existing(row) => {
                self.check_same_person(&row, attendee).await?;
                (row, ClaimOutcome::Existing)
            }
            ReserveOutcome::AttendeesFull => {
                return Err(ClaimError::AttendeesFull(
                    workshop.max_attendees.unwrap_or(0),
                ))
            }
            ReserveOutcome::BudgetExhausted => return Err(ClaimError::BudgetExhausted),
        };
        match row.state {
            ClaimState::Bound { .. } => Ok((row, found)),
            ClaimState::Minted { .. } => {
                // The attendee has a working key; binding it is retried in the background.
                self.schedule_rebind(workshop.clone());
                Ok((row, found))
            }
            ClaimState::Reserved { .. } => {
                if let Some(retry_in) = self.kept_place_wait(&row) {
                    return Err(ClaimError::PlaceKept { retry_in });
                }
                let row = self.mint(workshop, row, now, true).await?;
                Ok((row, ClaimOutcome::Minted))
            }
        }
    }

    /// For a reservation whose last try failed: how long its attendee's clicks leave it
    /// alone, on the sweep's schedule (5 s doubling to 5 min), so a room clicking during
    /// an outage or a rate limit does not turn each click into OpenRouter calls. `None`:
    /// try now.
    fn kept_place_wait(&self, row: &Attendance) -> Option<Duration> {
        let now = Utc::now().timestamp();
        if row.mint_attempts == 0 || row.last_error.is_none() || row.state.is_leased_at(now) {
            return None;
        }
        let due = row.updated_at + sweep::backoff_secs(row.mint_attempts);
        (due > now).then(|| Duration::from_secs((due - now) as u64))
    }

    /// A row found for `attendee`'s mailbox but reserved by another sign-in is theirs only
    /// if the two verified addresses are provably one mailbox; otherwise its key stays
    /// with its owner and the caller is told whose sign-in holds it.
    async fn check_same_person(
        &self,
        row: &Attendance,
        attendee: &Attendee,
    ) -> Result<(), ClaimError> {
        if row.user_id == attendee.user_id {
            return Ok(());
        }
        let owner = self.inner.database.find_attendee(&row.user_id).await?;
        match owner {
            Some(owner) if same_mailbox(&owner.email, &attendee.email) => Ok(()),
            Some(owner) => Err(ClaimError::MailboxTaken {
                provider: owner.auth_provider,
                masked_email: mask_email(&owner.email),
            }),
            None => Err(ClaimError::MailboxTaken {
                provider: "another provider".into(),
                masked_email: mask_email(&attendee.email),
            }),
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
        self.detached(asked_by_a_person(async move {
            match &row.state {
                ClaimState::Bound { .. } => Ok(row),
                ClaimState::Reserved { .. } => minter.mint(&workshop, row, now, true).await,
                ClaimState::Minted { key_hash } => {
                    let guardrail_id = minter.guardrail_id(&workshop, now).await?;
                    let hashes = std::slice::from_ref(key_hash);
                    minter.inner.binder.bind_now(&guardrail_id, hashes).await?;
                    minter.reload(&row).await
                }
            }
        }))
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
            .filter_map(|row| row.key_hash().map(str::to_string))
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
    #[tracing::instrument(name = "mint", skip_all, fields(slug = %workshop.slug))]
    async fn mint(
        &self,
        workshop: &Arc<Workshop>,
        row: Attendance,
        now: DateTime<Utc>,
        may_wait: bool,
    ) -> Result<Attendance, ClaimError> {
        self.wait_for_openrouter().await?;
        let guardrail_id = self.guardrail_id(workshop, now).await?;
        let database = &self.inner.database;
        let lease = new_lease_token();
        let at = Utc::now().timestamp();
        let Some(taken) = database
            .take_mint_lease(
                &row.user_id,
                &row.workshop_slug,
                &lease,
                at,
                at + self.lease_secs(),
            )
            .await?
        else {
            if !may_wait {
                return Err(ClaimError::StillMinting);
            }
            return self.wait_for_other(workshop, &row, now).await;
        };
        let heartbeat = self.renew_mint_lease(&row, &lease);
        let minted = self.mint_under_lease(&row, &lease, taken.attempt, at).await;
        drop(heartbeat);
        let key_hash = match minted {
            Ok(key_hash) => key_hash,
            Err(error) => {
                let reason = format!("minting failed: {error}");
                let at = Utc::now().timestamp();
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

    /// While OpenRouter holds us back (an outage, a 429's `Retry-After`): waits out a
    /// short hold, and answers [`ClaimError::PlaceKept`] at once for a longer one — no
    /// lease taken, no attempt counted. (A person's Retry probes past an outage.)
    async fn wait_for_openrouter(&self) -> Result<(), ClaimError> {
        match self.inner.client.unavailable_for() {
            None => Ok(()),
            Some(wait) if wait <= LONGEST_RETRY_WAIT => {
                tokio::time::sleep(wait).await;
                Ok(())
            }
            Some(retry_in) => Err(ClaimError::PlaceKept { retry_in }),
        }
    }

    fn lease_secs(&self) -> i64 {
        self.inner.settings.lease.as_secs().max(1) as i64
    }

    /// Keeps the row's mint lease alive while this request works on it.
    fn renew_mint_lease(&self, row: &Attendance, lease: &str) -> Heartbeat {
        let database = self.inner.database.clone();
        let (user_id, slug, lease) = (
            row.user_id.clone(),
            row.workshop_slug.clone(),
            lease.to_string(),
        );
        let lease_secs = self.lease_secs();
        Heartbeat::start(self.inner.settings.lease_heartbeat, move || {
            let (database, user_id, slug, lease) = (
                database.clone(),
                user_id.clone(),
                slug.clone(),
                lease.clone(),
            );
            async move {
                let until = Utc::now().timestamp() + lease_secs;
                database
                    .renew_mint_lease(&user_id, &slug, &lease, until)
                    .await
                    .unwrap_or(true) // a database hiccup: keep trying at the next beat
            }
        })
    }

    /// Creates the row's key (after removing leftovers of earlier attempts) and stores
    /// it. Returns the key's hash.
    #[tracing::instrument(name = "create", skip_all, fields(attempt = attempt))]
    async fn mint_under_lease(
        &self,
        row: &Attendance,
        lease: &str,
        attempt: i64,
        now: i64,
    ) -> Result<String, ClaimError> {
        if attempt > 1 {
            self.inner.orphans.remove_keys_named(&row.key_name).await?;
        }
        let (created, outcome_was_unknown) = self.create_key(row).await?;
        let stored = self
            .inner
            .database
            .store_minted_key(&MintedKey {
                user_id: &row.user_id,
                workshop_slug: &row.workshop_slug,
                lease,
                hash: &created.key.hash,
                plaintext: &created.plaintext,
                label: &created.key.label,
                now,
            })
            .await?;
        // On a database error above the key is left alone: the store may have committed.
        // If it did not, the row is still reserved with this attempt counted, and the
        // next attempt removes the key by name before minting.
        if !stored {
            // The lease expired and another request took over: this key must not stay.
            self.inner.orphans.remove_key(&created.key.hash).await;
            return Err(ClaimError::StillMinting);
        }
        if outcome_was_unknown {
            self.remove_late_duplicates(row.key_name.clone(), created.key.hash.clone());
        }
        Ok(created.key.hash)
    }

    /// `POST /keys`, tried again after failures that may pass. A failure whose outcome
    /// is unknown (a 5xx, a timeout, a lost answer, a success we could not read) may have
    /// created the key, so keys with the row's name are removed before the next try and
    /// after the last one. Returns the key, and whether any attempt's outcome was unknown.
    async fn create_key(&self, row: &Attendance) -> Result<(CreatedKey, bool), ClaimError> {
        let settings = &self.inner.settings;
        let new_key = NewKey {
            name: row.key_name.clone(),
            limit: Some(Usd::from_micros(row.limit_usd_micros).as_dollars()),
            limit_reset: None,
            expires_at: utc_timestamp(row.expires_at),
        };
        let mut attempt = 1;
        let mut outcome_was_unknown = false;
        loop {
            let created = {
                let _slot = self.inner.create_permits.acquire().await;
                self.inner.client.create_key(&new_key).await
            };
            let error = match created {
                Ok(created) => return Ok((created, outcome_was_unknown)),
                Err(error) => error,
            };
            if error.outcome_unknown() {
                outcome_was_unknown = true;
                let cleaned = self.inner.orphans.remove_keys_named(&row.key_name).await;
                if let Err(cleanup) = cleaned {
                    tracing::warn!(error = %cleanup, "could not look for a lost key yet; the next attempt will");
                    return Err(error.into());
                }
            }
            let may_pass = error.is_transient() || error.outcome_unknown();
            if !may_pass || attempt >= settings.create_attempts {
                return Err(error.into());
            }
            // Held back for longer (a 429 told the whole instance to wait), or a wait
            // longer than a request should hang on: the place is kept, the sweep tries
            // later.
            let held = self.inner.client.unavailable_for().unwrap_or_default();
            let wait = settings.retry.delay(attempt, error.retry_after()).max(held);
            if wait > LONGEST_RETRY_WAIT {
                return Err(error.into());
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// A create that timed out may still be applied by OpenRouter after a later attempt
    /// succeeded: once such a call can no longer be in flight, any other key with the
    /// row's name is removed, in the background.
    fn remove_late_duplicates(&self, name: String, kept_hash: String) {
        let (orphans, wait) = (self.inner.orphans.clone(), self.inner.client.timeout() * 2);
        self.spawn_tracked(async move {
            tokio::time::sleep(wait).await;
            if let Err(error) = orphans.remove_keys_named_except(&name, &kept_hash).await {
                tracing::warn!(%error, "could not check for a late duplicate key");
            }
        });
    }

    /// Another request holds the lease: wait until it stores the key, or take over if it
    /// gave up or died.
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
            if current.key_hash().is_some() {
                return Ok(current);
            }
            if !current.state.is_leased_at(Utc::now().timestamp()) {
                return Box::pin(self.mint(workshop, current, now, false)).await;
            }
            if Instant::now() >= deadline {
                return Err(ClaimError::StillMinting);
            }
        }
    }

    /// Whether this instance carries the newest running version of `workshop`'s file
    /// ([`Guardrails::carries_newest_file`]).
    pub async fn carries_newest_file(&self, workshop: &Workshop) -> Result<bool, DbError> {
        self.inner.guardrails.carries_newest_file(workshop).await
    }

    async fn guardrail_id(
        &self,
        workshop: &Workshop,
        now: DateTime<Utc>,
    ) -> Result<String, ClaimError> {
        Ok(self.inner.guardrails.id(workshop, now).await?)
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
        let span = tracing::info_span!("rebind", slug = %workshop.slug);
        tokio::spawn(
            async move {
                let settings = &minter.inner.settings;
                let mut delay = settings.rebind_first_delay;
                for _ in 0..settings.rebind_attempts {
                    // A draining server stops retrying: the keys stay unbound in the
                    // database, where the next start (or another instance) finds them.
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = minter.stopping().cancelled() => break,
                    }
                    match minter.bind_unbound(&workshop, Utc::now()).await {
                        Ok(report) if report.still_unbound == 0 => break,
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "automatic rebind failed"),
                    }
                    delay = (delay * 2).min(settings.rebind_max_delay);
                }
                minter
                    .inner
                    .rebinds
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&workshop.slug);
            }
            .instrument(span),
        );
    }

    /// Runs `work` in a task of its own and waits for it: a request that goes away stops
    /// waiting, but never stops the work between creating and storing a key — and a
    /// draining server waits for it ([`Minter::drain`]).
    async fn detached<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = Result<T, ClaimError>> + Send + 'static,
    ) -> Result<T, ClaimError> {
        self.spawn_tracked(work)
            .await
            .unwrap_or_else(|error| Err(ClaimError::Crashed(error.to_string())))
    }

    /// Spawns detached work the server waits for when it drains ([`DetachedWork`]). The
    /// task keeps the caller's span, so its lines carry the request id and slug.
    pub(crate) fn spawn_tracked<F>(&self, work: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner
            .detached
            .spawn(work.instrument(tracing::Span::current()))
    }

    /// Cancelled once the server drains: background retries stop at their next pause.
    pub(crate) fn stopping(&self) -> &CancellationToken {
        self.inner.detached.stopping()
    }

    /// Shutting down: background retries stop, and this waits up to `timeout` for the
    /// detached work under way (claims, assignments, renames). `false` if some did not
    /// finish in time; what it leaves (a reserved row, a minted unbound key, a pool key
    /// with its pool name) is finished by the next start or another instance.
    pub async fn drain(&self, timeout: Duration) -> bool {
        self.inner.detached.drain(timeout).await
    }

    /// This instance's background leases, under its one holder id.
    pub fn leases(&self) -> &Leases {
        &self.inner.leases
    }

    async fn reload(&self, row: &Attendance) -> Result<Attendance, ClaimError> {
        self.inner
            .database
            .find_attendance(&row.user_id, &row.workshop_slug)
            .await?
            .ok_or(ClaimError::NothingToFinish)
    }
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
