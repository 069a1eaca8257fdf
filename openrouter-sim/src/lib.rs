//! An in-process OpenRouter Management API: every path of OpenRouter's own spec (the
//! vendored `spec/openrouter-openapi.yaml`), with the real shapes and the real quirks (ignored
//! `guardrail_ids`, canonical model slugs, pages of 100 keys, hidden disabled keys, the
//! plaintext shown once, non-unique guardrail names), per-key usage that can be advanced,
//! and faults injected on chosen calls.
//!
//! It is part of the product — demo mode, the tests and the benchmark all run on it — so
//! it validates what it is sent and always answers errors with the spec's error shape.
//! It owns nothing but its own memory: it must not touch the database or the minter.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use openrouter_sim::{FaultAction, FaultRule, Simulator};
//!
//! let simulator = Simulator::new("sk-or-v1-management");
//! let running = simulator.spawn("127.0.0.1:0".parse().unwrap()).await?;
//! // Point the OpenRouter client at `running.base_url()`; then, for example:
//! simulator
//!     .inject(FaultRule::next("POST /keys", 1, FaultAction::ResponseLost))
//!     .expect("a known route");
//! # Ok(()) }
//! ```

mod admin;
mod assignments;
mod auth;
mod error;
mod extract;
mod faults;
mod guardrails;
mod keys;
mod models;
mod serve;
mod state;
mod usage;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::routing::{get, post};
use axum::{middleware, Router};
use chrono::Utc;
use serde::Serialize;

pub use faults::{FaultAction, FaultRule, InvalidFault, OutageKind};
pub use serve::RunningSimulator;

use faults::FaultBook;
use state::State;

/// Where the OpenRouter paths are mounted, as in `https://openrouter.ai/api/v1`.
pub const API_PREFIX: &str = "/api/v1";

/// Every route the simulator answers, as `METHOD /path/template` relative to
/// [`API_PREFIX`]: the names that [`FaultRule::route`] and [`Simulator::call_count`] use.
pub const ROUTES: &[&str] = &[
    "GET /keys",
    "POST /keys",
    "GET /keys/{hash}",
    "PATCH /keys/{hash}",
    "DELETE /keys/{hash}",
    "GET /key",
    "GET /guardrails",
    "POST /guardrails",
    "GET /guardrails/{id}",
    "PATCH /guardrails/{id}",
    "DELETE /guardrails/{id}",
    "GET /guardrails/{id}/assignments/keys",
    "POST /guardrails/{id}/assignments/keys",
    "POST /guardrails/{id}/assignments/keys/remove",
    "GET /guardrails/assignments/keys",
];

/// A simulated OpenRouter account with one workspace. Cheap to clone: clones share state,
/// so keep one to inspect and steer the simulator while its router serves requests.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    /// The bearer token management calls must carry. Never logged or serialised.
    management_key: String,
    // Three locks rather than one so counting calls and reading fault rules never waits
    // behind a long listing; each is held only for a synchronous step, never across an
    // `.await`.
    state: Mutex<State>,
    faults: Mutex<FaultBook>,
    calls: Mutex<BTreeMap<&'static str, u64>>,
}

/// A key as the simulator holds it: the API's key object plus the guardrail it is
/// assigned to. The plaintext is not kept, so it cannot appear here.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimKey {
    #[serde(flatten)]
    pub data: wire::Key,
    pub guardrail_id: Option<String>,
}

impl Simulator {
    /// A fresh account whose management calls must carry `management_key` as bearer
    /// token. It starts with one workspace and that workspace's default guardrail.
    pub fn new(management_key: impl Into<String>) -> Self {
        Simulator {
            inner: Arc::new(Inner {
                management_key: management_key.into(),
                state: Mutex::new(State::new(Utc::now())),
                faults: Mutex::new(FaultBook::default()),
                calls: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The OpenRouter routes under [`API_PREFIX`] and the non-spec admin routes under
    /// `/_simulator` (see the `admin` module), for embedding in another axum app.
    /// [`FaultAction::ResponseLost`] can only drop the connection when served by
    /// [`Simulator::spawn`]; elsewhere it degrades to a hang.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route("/keys", get(keys::list).post(keys::create))
            .route(
                "/keys/{hash}",
                get(keys::get).patch(keys::update).delete(keys::delete),
            )
            .route("/key", get(keys::current))
            .route(
                "/guardrails",
                get(guardrails::list).post(guardrails::create),
            )
            .route("/guardrails/assignments/keys", get(assignments::list_all))
            .route(
                "/guardrails/{id}",
                get(guardrails::get)
                    .patch(guardrails::update)
                    .delete(guardrails::delete),
            )
            .route(
                "/guardrails/{id}/assignments/keys",
                get(assignments::list).post(assignments::assign),
            )
            .route(
                "/guardrails/{id}/assignments/keys/remove",
                post(assignments::unassign),
            )
            .method_not_allowed_fallback(error::method_not_allowed)
            // A route layer, so it sees the matched path template and only matched calls.
            .route_layer(middleware::from_fn_with_state(
                self.clone(),
                faults::intercept,
            ));
        Router::new()
            .nest(API_PREFIX, api)
            .nest("/_simulator", admin::router())
            .fallback(error::not_found)
            .with_state(self.clone())
    }

    /// Binds `addr` (use port 0 for a free one) and serves [`Simulator::router`] in a
    /// background task until the returned handle is dropped.
    pub async fn spawn(&self, addr: SocketAddr) -> std::io::Result<RunningSimulator> {
        serve::spawn(self.clone(), addr).await
    }

    /// The id of the account's one workspace.
    pub fn workspace_id(&self) -> String {
        self.state().workspace_id().to_owned()
    }

    /// The id of the workspace's default guardrail, unless it has been deleted.
    pub fn default_guardrail_id(&self) -> Option<String> {
        self.state().default_guardrail_id()
    }

    /// Records `usd` of spend on a key, as inference through it would: lifetime, daily,
    /// weekly and monthly usage all grow, and `limit_remaining` may go negative.
    /// Returns false if no such key exists or the amount is not a finite number.
    pub fn add_usage(&self, key_hash: &str, usd: f64) -> bool {
        self.state().add_usage(key_hash, usd, Utc::now())
    }

    /// Every key, disabled ones included, newest first.
    pub fn keys(&self) -> Vec<SimKey> {
        self.state().all_keys(Utc::now())
    }

    /// One key by hash.
    pub fn key(&self, key_hash: &str) -> Option<SimKey> {
        self.state().sim_key(key_hash, Utc::now())
    }

    /// Every guardrail, in creation order (the default one first).
    pub fn guardrails(&self) -> Vec<wire::Guardrail> {
        self.state().all_guardrails()
    }

    /// Every key-to-guardrail assignment, oldest first.
    pub fn assignments(&self) -> Vec<wire::KeyAssignment> {
        self.state().all_assignments()
    }

    /// How many calls reached `route` (one of [`ROUTES`], e.g. `"POST /keys"`), whatever
    /// they were answered with — faults and auth failures included. 0 for other names.
    pub fn call_count(&self, route: &str) -> u64 {
        lock(&self.inner.calls).get(route).copied().unwrap_or(0)
    }

    /// Calls per route, for every route called at least once.
    pub fn call_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.inner.calls)
            .iter()
            .map(|(route, count)| ((*route).to_owned(), *count))
            .collect()
    }

    /// Adds `latency` before every OpenRouter call is handled (not the admin routes).
    /// `Duration::ZERO` turns it off.
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.inner.faults).latency = latency;
    }

    /// Adds a fault rule. Rules are tried in the order they were added; the first one
    /// for a call's route answers it.
    pub fn inject(&self, rule: FaultRule) -> Result<(), InvalidFault> {
        let rule = rule.validated()?;
        lock(&self.inner.faults).rules.push(rule);
        Ok(())
    }

    /// The fault rules still in force (spent "next N" rules are gone).
    pub fn fault_rules(&self) -> Vec<FaultRule> {
        lock(&self.inner.faults).rules.clone()
    }

    /// OpenRouter down for `duration`: every call to every route fails as `kind` says,
    /// before any rule. `Duration::ZERO` ends an outage early.
    pub fn outage(&self, kind: OutageKind, duration: Duration) {
        let until = std::time::Instant::now() + duration;
        lock(&self.inner.faults).outage = (!duration.is_zero()).then_some((kind, until));
    }

    /// Removes every fault rule, the outage and the added latency.
    pub fn clear_faults(&self) {
        *lock(&self.inner.faults) = FaultBook::default();
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.inner.state)
    }

    fn record_call(&self, route: &'static str) {
        *lock(&self.inner.calls).entry(route).or_insert(0) += 1;
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Deliberately without the management key.
        formatter
            .debug_struct("Simulator")
            .field("workspace_id", &self.workspace_id())
            .finish_non_exhaustive()
    }
}

/// A panic in one handler must not wedge every later call: the state is plain data and
/// each mutation validates before it writes, so a poisoned lock is still consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
