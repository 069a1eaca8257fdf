//! The OpenRouter Management API client (server only): typed calls for keys, guardrails
//! and key assignments; one shared HTTP client with timeouts; the management key held in
//! a [`Secret`]; a bound on concurrent calls; retries with backoff and jitter for 429,
//! 5xx and timeouts — on calls that are safe to repeat only; and a circuit breaker
//! ([`breaker`]) so a failing OpenRouter is answered at once instead of waited for.
//! `POST /keys` and `POST /guardrails` are never repeated here: a lost answer may mean
//! the thing exists, and only the caller (the mint, reconciling by name) can find out
//! safely.

mod breaker;
mod error;
mod retry;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use reqwest::{header::RETRY_AFTER, Method, StatusCode};
use serde::{de::DeserializeOwned, Serialize};
use tokio::sync::Semaphore;

use crate::metrics;
use crate::secret::Secret;

pub use breaker::BreakerSettings;

tokio::task_local! {
    static ASKED_BY_A_PERSON: ();
}

/// Runs `work` with the breaker's memory of failures set aside: an organiser who
/// presses Retry once OpenRouter is back must not be told to wait out a back-off that
/// only background retries earned. The call is a probe: its outcome still opens or
/// closes the breaker for everyone else. (Task-local: work spawned inside does not
/// inherit it.)
pub async fn asked_by_a_person<F: std::future::Future>(work: F) -> F::Output {
    ASKED_BY_A_PERSON.scope((), work).await
}
pub use error::OpenRouterError;
pub use retry::{RetryPolicy, LONGEST_RETRY_WAIT};
pub use wire::{
    utc_timestamp, Assignment, CreatedKey, Guardrail, GuardrailPage, GuardrailSettings, Key,
    KeyUpdate, NewKey,
};

/// `GET /keys` pages are this long; a shorter page is the last.
pub const KEYS_PAGE_SIZE: usize = 100;
/// The largest page `GET /guardrails` and the assignment list allow.
pub const GUARDRAILS_PAGE_SIZE: usize = 100;
/// Hashes per assignment call. OpenRouter does not document a maximum; this keeps a
/// request body small.
pub const ASSIGN_BATCH: usize = 100;

#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// `https://openrouter.ai/api/v1`, or a simulator's.
    pub base_url: String,
    pub management_key: Secret,
    /// Whole-request timeout of one attempt.
    pub timeout: Duration,
    /// Calls in flight towards OpenRouter at once, across all claims.
    pub max_concurrent_calls: usize,
    pub retry: RetryPolicy,
    pub breaker: BreakerSettings,
}

impl ClientSettings {
    pub fn new(base_url: &str, management_key: Secret) -> Self {
        ClientSettings {
            base_url: base_url.trim_end_matches('/').to_string(),
            management_key,
            timeout: Duration::from_secs(5),
            max_concurrent_calls: 16,
            retry: RetryPolicy::default(),
            breaker: BreakerSettings::default(),
        }
    }
}

#[derive(Clone)]
pub struct OpenRouterClient {
    http: reqwest::Client,
    settings: Arc<ClientSettings>,
    permits: Arc<Semaphore>,
    breaker: Arc<breaker::CircuitBreaker>,
}

/// Whether a call may be sent again after a transient failure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeat {
    Safe,
    Never,
}

impl OpenRouterClient {
    pub fn new(settings: ClientSettings) -> Result<Self, OpenRouterError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("workshop-key-minter")
            .build()
            .map_err(|error| OpenRouterError::Transport {
                method: "INIT",
                path: String::new(),
                message: error.to_string(),
            })?;
        let permits = Arc::new(Semaphore::new(settings.max_concurrent_calls.max(1)));
        let breaker = Arc::new(breaker::CircuitBreaker::new(settings.breaker));
        Ok(OpenRouterClient {
            http,
            settings: Arc::new(settings),
            permits,
            breaker,
        })
    }

    /// While OpenRouter is remembered as failing, or asked us to wait: how long until
    /// calls go out again (for this task: one a person asked for skips the failures).
    pub fn unavailable_for(&self) -> Option<Duration> {
        let asked = ASKED_BY_A_PERSON.try_with(|_| ()).is_ok();
        self.breaker.check_for(asked).err()
    }

    /// How long one attempt may take.
    pub fn timeout(&self) -> Duration {
        self.settings.timeout
    }

    pub fn max_concurrent_calls(&self) -> usize {
        self.settings.max_concurrent_calls
    }

    /// How many more calls could go out at once right now.
    pub fn idle_slots(&self) -> usize {
        self.permits.available_permits()
    }

    /// Whether a call sent now would go out at once rather than wait for a slot.
    pub fn has_idle_slot(&self) -> bool {
        self.permits.available_permits() > 0
    }

    // Keys.

    /// `POST /keys`. Not repeated on failure; see the module comment.
    pub async fn create_key(&self, new_key: &NewKey) -> Result<CreatedKey, OpenRouterError> {
        let created: wire::CreatedKeyWire = self
            .call(Method::POST, "/keys", &[], Some(new_key), Repeat::Never)
            .await?;
        Ok(CreatedKey {
            key: created.data,
            plaintext: created.key,
        })
    }

    /// One page of `GET /keys` (100 per page, newest first).
    pub async fn list_keys(
        &self,
        offset: usize,
        include_disabled: bool,
    ) -> Result<Vec<Key>, OpenRouterError> {
        let mut query = vec![("offset", offset.to_string())];
        if include_disabled {
            query.push(("include_disabled", "true".to_string()));
        }
        let page: wire::Data<Vec<Key>> = self
            .call(Method::GET, "/keys", &query, None::<&()>, Repeat::Safe)
            .await?;
        Ok(page.data)
    }

    /// `GET /keys/{hash}`; `None` when OpenRouter does not know it.
    pub async fn get_key(&self, hash: &str) -> Result<Option<Key>, OpenRouterError> {
        let path = format!("/keys/{}", path_segment(hash));
        let found: Result<wire::Data<Key>, _> = self
            .call(Method::GET, &path, &[], None::<&()>, Repeat::Safe)
            .await;
        not_found_as_none(found.map(|data| data.data))
    }

    /// `PATCH /keys/{hash}`: setting the same fields twice is harmless, so it is retried.
    pub async fn update_key(&self, hash: &str, update: &KeyUpdate) -> Result<Key, OpenRouterError> {
        let path = format!("/keys/{}", path_segment(hash));
        let key: wire::Data<Key> = self
            .call(Method::PATCH, &path, &[], Some(update), Repeat::Safe)
            .await?;
        Ok(key.data)
    }

    /// `DELETE /keys/{hash}`; `false` when it was already gone.
    pub async fn delete_key(&self, hash: &str) -> Result<bool, OpenRouterError> {
        let path = format!("/keys/{}", path_segment(hash));
        let deleted: Result<serde_json::Value, _> = self
            .call(Method::DELETE, &path, &[], None::<&()>, Repeat::Safe)
            .await;
        Ok(not_found_as_none(deleted)?.is_some())
    }

    // Guardrails.

    /// `POST /guardrails`. Names are not unique on OpenRouter: never repeated here, and
    /// callers serialise "create if missing" themselves.
    pub async fn create_guardrail(
        &self,
        settings: &GuardrailSettings,
    ) -> Result<Guardrail, OpenRouterError> {
        let created: wire::Data<Guardrail> = self
            .call(
                Method::POST,
                "/guardrails",
                &[],
                Some(settings),
                Repeat::Never,
            )
            .await?;
        Ok(created.data)
    }

    pub async fn list_guardrails(
        &self,
        offset: usize,
        limit: usize,
    ) -> Result<GuardrailPage, OpenRouterError> {
        let query = [
            ("offset", offset.to_string()),
            ("limit", limit.clamp(1, GUARDRAILS_PAGE_SIZE).to_string()),
        ];
        let page: wire::Page<Guardrail> = self
            .call(
                Method::GET,
                "/guardrails",
                &query,
                None::<&()>,
                Repeat::Safe,
            )
            .await?;
        let total_count = page.total_count.unwrap_or(page.data.len() as u64);
        Ok(GuardrailPage {
            guardrails: page.data,
            total_count,
        })
    }

    pub async fn get_guardrail(&self, id: &str) -> Result<Option<Guardrail>, OpenRouterError> {
        let path = format!("/guardrails/{}", path_segment(id));
        let found: Result<wire::Data<Guardrail>, _> = self
            .call(Method::GET, &path, &[], None::<&()>, Repeat::Safe)
            .await;
        not_found_as_none(found.map(|data| data.data))
    }

    pub async fn update_guardrail(
        &self,
        id: &str,
        settings: &GuardrailSettings,
    ) -> Result<Guardrail, OpenRouterError> {
        let path = format!("/guardrails/{}", path_segment(id));
        let updated: wire::Data<Guardrail> = self
            .call(Method::PATCH, &path, &[], Some(settings), Repeat::Safe)
            .await?;
        Ok(updated.data)
    }

    // Assignments.

    /// Assigns keys to a guardrail (a key holds at most one; assigning moves it).
    /// Assigning twice leaves the same state, so it is retried.
    pub async fn assign_keys(
        &self,
        guardrail_id: &str,
        key_hashes: &[String],
    ) -> Result<u64, OpenRouterError> {
        let path = format!(
            "/guardrails/{}/assignments/keys",
            path_segment(guardrail_id)
        );
        let body = wire::KeyHashes { key_hashes };
        let assigned: wire::Assigned = self
            .call(Method::POST, &path, &[], Some(&body), Repeat::Safe)
            .await?;
        Ok(assigned.assigned_count)
    }

    pub async fn unassign_keys(
        &self,
        guardrail_id: &str,
        key_hashes: &[String],
    ) -> Result<u64, OpenRouterError> {
        let path = format!(
            "/guardrails/{}/assignments/keys/remove",
            path_segment(guardrail_id)
        );
        let body = wire::KeyHashes { key_hashes };
        let removed: wire::Unassigned = self
            .call(Method::POST, &path, &[], Some(&body), Repeat::Safe)
            .await?;
        Ok(removed.unassigned_count)
    }

    /// One page of a guardrail's key assignments.
    pub async fn list_assignments(
        &self,
        guardrail_id: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Assignment>, OpenRouterError> {
        let path = format!(
            "/guardrails/{}/assignments/keys",
            path_segment(guardrail_id)
        );
        let query = [
            ("offset", offset.to_string()),
            ("limit", limit.clamp(1, GUARDRAILS_PAGE_SIZE).to_string()),
        ];
        let page: wire::Page<Assignment> = self
            .call(Method::GET, &path, &query, None::<&()>, Repeat::Safe)
            .await?;
        Ok(page.data)
    }

    // The one place requests are sent.

    async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        repeat: Repeat,
    ) -> Result<T, OpenRouterError> {
        let policy = self.settings.retry;
        let mut attempt = 1;
        loop {
            let result = self.attempt(&method, path, query, body).await;
            match result {
                // A call that is safe to repeat is repeated whenever repeating may help:
                // a transient failure, or an answer we could not read.
                // Any wait longer than a request should hang on (a 429's long
                // `Retry-After`, which also holds the whole instance back) is the
                // caller's to schedule: the answer goes back now.
                Err(error)
                    if repeat == Repeat::Safe
                        && (error.is_transient() || error.outcome_unknown())
                        && attempt < policy.max_attempts =>
                {
                    let wait = policy.delay(attempt, error.retry_after());
                    if wait > LONGEST_RETRY_WAIT {
                        return Err(error);
                    }
                    tracing::warn!(%error, attempt, wait_ms = wait.as_millis() as u64, "OpenRouter call will be retried");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// One attempt, with the breaker consulted before (unless a person asked for this
    /// call: see [`asked_by_a_person`]) and told after.
    #[tracing::instrument(level = "debug", name = "openrouter", skip_all, fields(method = method_name(method), path = path))]
    async fn attempt<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, OpenRouterError> {
        let method_name = method_name(method);
        let asked = ASKED_BY_A_PERSON.try_with(|_| ()).is_ok();
        let breaker_allows = || {
            self.breaker
                .check_for(asked)
                .map_err(|retry_in| OpenRouterError::Unavailable { retry_in })
        };
        let route = format!(
            "{method_name} {}",
            crate::metrics::openrouter_route_template(path)
        );
        let started = std::time::Instant::now();
        let refused = |error: OpenRouterError| {
            metrics::record_openrouter_call(&route, "refused", started.elapsed());
            error
        };
        breaker_allows().map_err(refused)?;
        // The permit is held for the whole round trip, so the bound is on calls in flight.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| OpenRouterError::Transport {
                method: method_name,
                path: path.to_string(),
                message: "the client is shutting down".into(),
            })?;
        // The breaker may have opened while this call waited for a slot.
        breaker_allows().map_err(refused)?;
        let sent = std::time::Instant::now();
        let result = self.send::<B, T>(method, path, query, body).await;
        let status = match &result {
            Ok(_) => "2xx".to_string(),
            Err(OpenRouterError::Api { status, .. }) => status.to_string(),
            Err(OpenRouterError::Timeout { .. }) => "timeout".into(),
            Err(OpenRouterError::Transport { .. }) => "transport".into(),
            Err(OpenRouterError::Decode { .. }) => "decode".into(),
            Err(OpenRouterError::Unavailable { .. }) => "refused".into(),
        };
        metrics::record_openrouter_call(&route, &status, sent.elapsed());
        match &result {
            Err(error) if error.is_outage() => self.breaker.record_failure(),
            Err(OpenRouterError::Api {
                status: 429,
                retry_after,
                ..
            }) => self.breaker.hold_off(*retry_after),
            _ => self.breaker.record_success(),
        }
        tracing::debug!(
            elapsed_ms = sent.elapsed().as_millis() as u64,
            ok = result.is_ok(),
            "OpenRouter call"
        );
        result
    }

    async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T, OpenRouterError> {
        let method_name = method_name(method);
        let url = format!("{}{path}", self.settings.base_url);
        let mut request = self
            .http
            .request(method.clone(), url)
            .bearer_auth(self.settings.management_key.expose());
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|error| transport_error(method_name, path, &error))?;
        let status = response.status();
        if !status.is_success() {
            return Err(api_error(method_name, path, response).await);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|error| transport_error(method_name, path, &error))?;
        serde_json::from_slice(&bytes).map_err(|error| OpenRouterError::Decode {
            method: method_name,
            path: path.to_string(),
            message: error.to_string(),
        })
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

/// reqwest's error text can include the URL; ours never has secrets in it (the key goes
/// in a header), but keep only the kind of failure anyway.
fn transport_error(method: &'static str, path: &str, error: &reqwest::Error) -> OpenRouterError {
    if error.is_timeout() {
        return OpenRouterError::Timeout {
            method,
            path: path.to_string(),
        };
    }
    let kind = if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "the request failed"
    };
    OpenRouterError::Transport {
        method,
        path: path.to_string(),
        message: kind.to_string(),
    }
}

async fn api_error(
    method: &'static str,
    path: &str,
    response: reqwest::Response,
) -> OpenRouterError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let message = match response.json::<wire::ErrorBody>().await {
        Ok(body) => body.error.message.chars().take(300).collect(),
        Err(_) => status
            .canonical_reason()
            .unwrap_or("no error message")
            .to_string(),
    };
    OpenRouterError::Api {
        status: status.as_u16(),
        method,
        path: path.to_string(),
        message,
        retry_after,
    }
}

fn not_found_as_none<T>(result: Result<T, OpenRouterError>) -> Result<Option<T>, OpenRouterError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.status() == Some(StatusCode::NOT_FOUND.as_u16()) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Ids and hashes go into paths; refuse anything that could change the path.
fn path_segment(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
