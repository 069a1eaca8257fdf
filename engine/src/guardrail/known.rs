//! The workshop guardrail ids this process knows, and the one place the mint and the key
//! pool learn them ([`Guardrails::id`]).
//!
//! A known id is read without waiting on anything: a claim for a workshop whose
//! guardrail is known never waits behind another workshop's guardrail work, nor behind
//! this one's. An unknown id is ensured by one task per workshop at a time (a
//! single-flight; the others wait for its answer), and a failure is remembered for a
//! short back-off, so while OpenRouter is down claims are told at once instead of each
//! trying again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{ensure_guardrail, EnsureGuardrailError};
use crate::db::{Database, DbError};
use crate::leases::Leases;
use crate::openrouter::{OpenRouterClient, OpenRouterError, RetryPolicy, LONGEST_RETRY_WAIT};
use crate::registry::Workshop;

/// How long a failed ensure is remembered before the next claim tries again.
const FAILURE_BACKOFF: Duration = Duration::from_secs(5);

/// Cheap to clone; one per process, shared by the mint and the key pool.
#[derive(Clone)]
pub struct Guardrails {
    inner: Arc<Inner>,
}

struct Inner {
    database: Database,
    client: OpenRouterClient,
    retry: RetryPolicy,
    /// This instance's leases: the `guardrail:<slug>` lease is taken in them.
    leases: Leases,
    /// Workshop files change only with a deploy (a new process): an id never goes stale.
    known: RwLock<HashMap<String, String>>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Flight>>>>,
}

/// One workshop's single-flight, remembering its last failure.
#[derive(Default)]
struct Flight {
    failed_until: Option<Instant>,
}

impl Guardrails {
    pub fn new(
        database: Database,
        client: OpenRouterClient,
        retry: RetryPolicy,
        leases: Leases,
    ) -> Self {
        Guardrails {
            inner: Arc::new(Inner {
                database,
                client,
                retry,
                leases,
                known: RwLock::default(),
                flights: Mutex::default(),
            }),
        }
    }

    /// The id of `workshop`'s guardrail, ensured at `now` (workshop time) if this process
    /// does not know it yet. An instance with an older file uses the guardrail as it is:
    /// updating it to its own file would undo the newer one.
    #[tracing::instrument(name = "guardrail", skip_all)]
    pub async fn id(
        &self,
        workshop: &Workshop,
        now: DateTime<Utc>,
    ) -> Result<String, EnsureGuardrailError> {
        if !self.carries_newest_file(workshop).await? {
            if let Some(record) = self.inner.database.guardrail_record(&workshop.slug).await? {
                return Ok(record.guardrail_id);
            }
        }
        self.ensured(workshop, now.timestamp()).await
    }

    /// Whether this instance carries the newest running version of `workshop`'s file (or
    /// no instance registered one). During a rolling deploy old and new instances run
    /// side by side: only those with the newest file fill the pool with keys of its
    /// limit and expiry and send its models and cap to the guardrail, so the two
    /// versions never undo each other's work.
    pub async fn carries_newest_file(&self, workshop: &Workshop) -> Result<bool, DbError> {
        Ok(
            match self
                .inner
                .database
                .newest_workshop_version(&workshop.slug)
                .await?
            {
                None => true,
                Some(newest) => newest == workshop.file_digest,
            },
        )
    }

    fn known(&self, slug: &str) -> Option<String> {
        self.inner
            .known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(slug)
            .cloned()
    }

    /// The workshop's guardrail id, ensured once per process. A transient failure is
    /// tried once more: a lost answer to `POST /guardrails` is then adopted by name.
    async fn ensured(&self, workshop: &Workshop, now: i64) -> Result<String, EnsureGuardrailError> {
        let Inner {
            database,
            client,
            retry,
            leases,
            ..
        } = &*self.inner;
        if let Some(id) = self.known(&workshop.slug) {
            return Ok(id);
        }
        let flight = self
            .inner
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(workshop.slug.clone())
            .or_default()
            .clone();
        let mut flight = flight.lock().await;
        // Whoever held the flight before may have just learnt it.
        if let Some(id) = self.known(&workshop.slug) {
            return Ok(id);
        }
        if let Some(until) = flight.failed_until {
            if let Some(retry_in) = until.checked_duration_since(Instant::now()) {
                return Err(EnsureGuardrailError::OpenRouter(
                    OpenRouterError::Unavailable { retry_in },
                ));
            }
        }
        let ensured = match ensure_guardrail(database, client, workshop, leases, now).await {
            // Once more after a failure that may pass or may have created it (then it is
            // adopted by name) — unless that means waiting longer than a request should
            // (a 429's Retry-After): then the caller is told at once.
            Err(EnsureGuardrailError::OpenRouter(error))
                if error.is_transient() || error.outcome_unknown() =>
            {
                let wait = retry
                    .delay(1, error.retry_after())
                    .max(client.unavailable_for().unwrap_or_default());
                if wait > LONGEST_RETRY_WAIT {
                    Err(EnsureGuardrailError::OpenRouter(error))
                } else {
                    tokio::time::sleep(wait).await;
                    ensure_guardrail(database, client, workshop, leases, now).await
                }
            }
            other => other,
        };
        match ensured {
            Ok(id) => {
                flight.failed_until = None;
                self.inner
                    .known
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(workshop.slug.clone(), id.clone());
                Ok(id)
            }
            Err(error) => {
                flight.failed_until = Some(Instant::now() + FAILURE_BACKOFF);
                Err(error)
            }
        }
    }
}
