//! Step 5 of the claim: assigning minted keys to the workshop guardrail, batched.
//!
//! Claims finishing at the same moment share one bulk assignment call. A key is sent at
//! once when nothing is being assigned for its guardrail, or when the OpenRouter client
//! has an idle slot (and fewer than `max_in_flight` calls are out); otherwise it queues
//! and goes out with the others in the next call, sent as soon as one in flight returns.
//! A quiet room pays no added latency; a burst, where the client's slots are all busy,
//! pays far fewer calls than keys. Calls run in their own tasks, so a request that goes
//! away cannot leave its queue stuck.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::db::Database;
use crate::detached::DetachedWork;
use crate::openrouter::{OpenRouterClient, OpenRouterError, ASSIGN_BATCH};

#[derive(Clone)]
pub struct Binder {
    inner: Arc<BinderInner>,
}

struct BinderInner {
    client: OpenRouterClient,
    database: Database,
    max_in_flight: usize,
    queues: Mutex<HashMap<String, Queue>>,
    /// The mint's detached work, which a draining server waits for.
    work: DetachedWork,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiter>,
    in_flight: usize,
}

struct Waiter {
    hash: String,
    done: oneshot::Sender<Result<(), OpenRouterError>>,
}

impl Binder {
    pub fn new(
        client: OpenRouterClient,
        database: Database,
        max_in_flight: usize,
        work: DetachedWork,
    ) -> Self {
        Binder {
            inner: Arc::new(BinderInner {
                client,
                database,
                max_in_flight: max_in_flight.max(1),
                queues: Mutex::new(HashMap::new()),
                work,
            }),
        }
    }

    /// Assigns one key, together with whatever else is waiting for the same guardrail.
    /// On failure the key stays unbound in the database with the error recorded.
    pub async fn bind(&self, guardrail_id: &str, key_hash: String) -> Result<(), OpenRouterError> {
        let (done, outcome) = oneshot::channel();
        let batch = {
            let mut queues = self
                .inner
                .queues
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let queue = queues.entry(guardrail_id.to_string()).or_default();
            queue.waiting.push(Waiter {
                hash: key_hash,
                done,
            });
            let send_now = queue.in_flight == 0
                || (queue.in_flight < self.inner.max_in_flight
                    && self.inner.client.has_idle_slot());
            if send_now {
                queue.in_flight += 1;
                Some(std::mem::take(&mut queue.waiting))
            } else {
                None
            }
        };
        if let Some(batch) = batch {
            // Tracked: a draining server finishes assignments under way.
            self.inner
                .work
                .spawn(self.inner.clone().flush(guardrail_id.to_string(), batch));
        }
        outcome.await.unwrap_or_else(|_| {
            Err(OpenRouterError::Transport {
                method: "POST",
                path: "/guardrails/{id}/assignments/keys".into(),
                message: "the assignment task stopped".into(),
            })
        })
    }

    /// Assigns these keys now, in calls of [`ASSIGN_BATCH`], and records the outcome.
    /// Returns how many rows became bound.
    pub async fn bind_now(
        &self,
        guardrail_id: &str,
        key_hashes: &[String],
    ) -> Result<u64, OpenRouterError> {
        self.inner.assign(guardrail_id, key_hashes).await
    }
}

impl BinderInner {
    /// Sends `batch`, then whatever queued meanwhile, until the queue is empty.
    async fn flush(self: Arc<Self>, guardrail_id: String, mut batch: Vec<Waiter>) {
        loop {
            let hashes: Vec<String> = batch.iter().map(|waiter| waiter.hash.clone()).collect();
            let outcome = self.assign(&guardrail_id, &hashes).await.map(|_| ());
            for waiter in batch {
                let _ = waiter.done.send(outcome.clone());
            }
            let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
            let queue = queues.entry(guardrail_id.clone()).or_default();
            if queue.waiting.is_empty() {
                queue.in_flight -= 1;
                return;
            }
            batch = std::mem::take(&mut queue.waiting);
        }
    }

    #[tracing::instrument(name = "assign", skip_all, fields(keys = key_hashes.len()))]
    async fn assign(
        &self,
        guardrail_id: &str,
        key_hashes: &[String],
    ) -> Result<u64, OpenRouterError> {
        let mut bound = 0;
        for chunk in key_hashes.chunks(ASSIGN_BATCH) {
            let now = chrono::Utc::now().timestamp();
            match self.client.assign_keys(guardrail_id, chunk).await {
                Ok(_) => match self.database.mark_bound(chunk, guardrail_id, now).await {
                    Ok(count) => bound += count,
                    // Assigned on OpenRouter but not recorded: the row stays unbound and
                    // the next retry assigns again, which is harmless.
                    Err(error) => {
                        tracing::error!(%error, "recording a guardrail assignment failed")
                    }
                },
                Err(error) => {
                    tracing::warn!(%error, keys = chunk.len(), "guardrail assignment failed; keys stay unbound");
                    let reason = format!("guardrail assignment failed: {error}");
                    if let Err(db_error) =
                        self.database.record_bind_failure(chunk, &reason, now).await
                    {
                        tracing::error!(error = %db_error, "recording a failed assignment failed");
                    }
                    return Err(error);
                }
            }
        }
        Ok(bound)
    }
}
