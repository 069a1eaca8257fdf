//! The workshop guardrail ids this process knows, and the one place it learns them.
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

use crate::db::Database;
use crate::guardrail::{ensure_guardrail, EnsureGuardrailError};
use crate::leases::Leases;
use crate::openrouter::{OpenRouterClient, OpenRouterError, RetryPolicy, LONGEST_RETRY_WAIT};
use crate::registry::Workshop;

use super::ClaimError;

/// How long a failed ensure is remembered before the next claim tries again.
const FAILURE_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct GuardrailCache {
    /// Workshop files change only with a deploy (a new process): an id never goes stale.
    known: RwLock<HashMap<String, String>>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Flight>>>>,
}

/// One workshop's single-flight, remembering its last failure.
#[derive(Default)]
struct Flight {
    failed_until: Option<Instant>,
}

impl GuardrailCache {
    pub fn known(&self, slug: &str) -> Option<String> {
        self.known
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(slug)
            .cloned()
    }

    /// The workshop's guardrail id, ensured once per process. A transient failure is
    /// tried once more: a lost answer to `POST /guardrails` is then adopted by name.
    pub async fn id(
        &self,
        database: &Database,
        client: &OpenRouterClient,
        retry: RetryPolicy,
        workshop: &Workshop,
        leases: &Leases,
        now: i64,
    ) -> Result<String, ClaimError> {
        if let Some(id) = self.known(&workshop.slug) {
            return Ok(id);
        }
        let flight = self
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
                return Err(ClaimError::OpenRouter(OpenRouterError::Unavailable {
                    retry_in,
                }));
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
                self.known
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(workshop.slug.clone(), id.clone());
                Ok(id)
            }
            Err(error) => {
                flight.failed_until = Some(Instant::now() + FAILURE_BACKOFF);
                Err(error.into())
            }
        }
    }
}
