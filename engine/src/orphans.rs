//! Step 6 of the claim: keys OpenRouter holds under a row's name whose plaintext we never
//! stored (the answer to `POST /keys` was lost, or the process died before storing it).
//! They are deleted, so no key exists that nobody can see or account for.
//!
//! Finding a key by name means paging through `GET /keys`, the whole account. Claims
//! failing together (an OpenRouter hiccup in a burst) would each page through it, so
//! searches are shared: a listing starts a moment after the first search asks (so the
//! searches of claims failing together join it), while it runs new searches queue, and
//! the next listing serves all of them at once. A search never reuses a listing that started before it
//! asked — a key lost just before the search might not have been in it. A listing stops
//! as soon as every name it looks for is found: each attempt of a row removes leftovers
//! before it creates, so a name has at most one key nobody stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::openrouter::{KeyUpdate, OpenRouterClient, OpenRouterError, KEYS_PAGE_SIZE};

/// How long a listing waits for more searches before it starts. Searches only happen
/// after a failure, so this costs nothing on the happy path.
const GATHER: Duration = Duration::from_millis(50);

/// Finds and removes keys by name, with listings shared between concurrent searches.
#[derive(Clone)]
pub struct OrphanRemover {
    inner: Arc<Inner>,
}

struct Inner {
    client: OpenRouterClient,
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Search>,
    listing: bool,
}

struct Search {
    name: String,
    found: oneshot::Sender<Result<Vec<String>, OpenRouterError>>,
}

impl OrphanRemover {
    pub fn new(client: OpenRouterClient) -> Self {
        OrphanRemover {
            inner: Arc::new(Inner {
                client,
                queue: Mutex::new(Queue::default()),
            }),
        }
    }

    /// Deletes every key called `name`, disabled ones included. Returns how many.
    pub async fn remove_keys_named(&self, name: &str) -> Result<usize, OpenRouterError> {
        self.remove_keys_named_except(name, "").await
    }

    /// Deletes every key called `name` but the one with hash `kept`.
    pub async fn remove_keys_named_except(
        &self,
        name: &str,
        kept: &str,
    ) -> Result<usize, OpenRouterError> {
        let mut hashes = self.find_keys_named(name).await?;
        hashes.retain(|hash| hash != kept);
        for hash in &hashes {
            self.inner.client.delete_key(hash).await?;
            tracing::warn!(key_name = %name, "removed a key whose plaintext was never stored");
        }
        Ok(hashes.len())
    }

    /// The hashes of the keys called `name`, from a listing that started after this call.
    async fn find_keys_named(&self, name: &str) -> Result<Vec<String>, OpenRouterError> {
        let (found, answer) = oneshot::channel();
        let start_listing = {
            let mut queue = self
                .inner
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            queue.waiting.push(Search {
                name: name.to_string(),
                found,
            });
            !std::mem::replace(&mut queue.listing, true)
        };
        if start_listing {
            // A task of its own, so a caller that goes away cannot strand the others.
            tokio::spawn(self.inner.clone().serve_searches());
        }
        answer.await.unwrap_or_else(|_| {
            Err(OpenRouterError::Transport {
                method: "GET",
                path: "/keys".into(),
                message: "the key search stopped".into(),
            })
        })
    }

    /// Removes one key we created but may not keep; disables it if deleting fails, and
    /// logs (the row's name lets a later recovery find it) if both fail. `true` when the
    /// key is deleted.
    pub async fn remove_key(&self, hash: &str) -> bool {
        let client = &self.inner.client;
        if client.delete_key(hash).await.is_ok() {
            return true;
        }
        let disable = KeyUpdate {
            disabled: Some(true),
            ..KeyUpdate::default()
        };
        if let Err(error) = client.update_key(hash, &disable).await {
            tracing::error!(%error, "could not delete or disable a surplus key");
        }
        false
    }
}

impl Inner {
    /// Runs listings until no search is waiting.
    async fn serve_searches(self: Arc<Self>) {
        loop {
            tokio::time::sleep(GATHER).await;
            let searches = {
                let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
                if queue.waiting.is_empty() {
                    queue.listing = false;
                    return;
                }
                std::mem::take(&mut queue.waiting)
            };
            let wanted: Vec<&str> = searches.iter().map(|search| search.name.as_str()).collect();
            let result = self.list_until_found(&wanted).await;
            for search in searches {
                let answer = match &result {
                    Ok(found) => Ok(found.get(&search.name).cloned().unwrap_or_default()),
                    Err(error) => Err(error.clone()),
                };
                let _ = search.found.send(answer);
            }
        }
    }

    /// Pages through `GET /keys` (disabled keys included) until every wanted name has
    /// been seen or the last page is read.
    async fn list_until_found(
        &self,
        wanted: &[&str],
    ) -> Result<HashMap<String, Vec<String>>, OpenRouterError> {
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        let mut offset = 0;
        loop {
            let page = self.client.list_keys(offset, true).await?;
            let count = page.len();
            for key in page {
                if wanted.contains(&key.name.as_str()) {
                    found.entry(key.name).or_default().push(key.hash);
                }
            }
            offset += count;
            let everything_found = wanted.iter().all(|name| found.contains_key(*name));
            if count < KEYS_PAGE_SIZE || everything_found {
                return Ok(found);
            }
        }
    }
}
