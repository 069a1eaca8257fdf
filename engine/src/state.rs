//! The state every request handler and server function shares. Cheap to clone.
//! The host adds Leptos's options beside it (`server/src/application.rs`).

use std::sync::Arc;

use axum::extract::FromRef;

use crate::claims::RefreshLimiter;
use crate::clock::WorkshopClock;
use crate::db::Database;
use crate::mint::Minter;
use crate::registry::Registry;
use crate::sealing::KeyRing;
use crate::session::SessionCookie;
use crate::usage_sync::UsageSyncer;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub registry: Arc<Registry>,
    pub database: Database,
    /// Shown as a banner on every page; see README "Demo mode".
    pub demo_mode: bool,
    pub session_cookie: SessionCookie,
    /// Exact, lowercased addresses of the global admins (`ADMIN_EMAILS`).
    pub admin_emails: Arc<Vec<String>>,
    /// Which ways to sign in the sign-in page offers.
    pub sign_in_methods: SignInMethods,
    /// Claims: reserve, mint, bind (holds the OpenRouter client and its management key).
    pub minter: Minter,
    pub usage_sync: UsageSyncer,
    /// `PUBLIC_URL`, or the bound address when unset: where links to the site point.
    #[from_ref(skip)]
    pub public_url: String,
    /// Now, for workshop windows and key expiry (movable in demo mode only).
    pub clock: WorkshopClock,
    /// Seals the cookie that carries a sign-in in progress; one random key shared by
    /// every instance through the database.
    #[from_ref(skip)]
    pub sign_in_keys: KeyRing,
    /// The per-key limit on "refresh my usage".
    pub usage_refreshes: Arc<RefreshLimiter>,
    /// Demo mode only: spending on the in-process simulator's keys (the admin page's
    /// "Simulate activity"). `None` in a live deployment, whose binary has no simulator.
    #[from_ref(skip)]
    pub demo_spending: Option<Arc<dyn DemoSpending>>,
}

impl AppState {
    /// This instance's name (`host:pid:random`) in every background lease it takes: the
    /// mint's, the pool's, the usage sync's. One name, kept by the leases themselves.
    pub fn instance(&self) -> &str {
        self.minter.leases().holder()
    }
}

/// Spends on a key in demo mode's OpenRouter simulator, which the server holds in
/// process (OpenRouter itself has no such thing).
pub trait DemoSpending: Send + Sync {
    /// `false` when the simulator has no key `key_hash`.
    fn spend(&self, key_hash: &str, usd: f64) -> bool;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignInMethods {
    pub google: bool,
    pub github: bool,
    pub demo: bool,
}
