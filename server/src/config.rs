//! Runtime configuration from the environment (and an optional `.env` file); secrets
//! also from files (see [`sources`]).
//!
//! The mode is explicit. **Demo mode** (the in-process OpenRouter simulator, demo
//! sign-in, the demo's sample workshops) runs only with `DEMO_MODE=true`, or under
//! `cargo leptos watch`, and refuses to start when any production setting is present.
//! Otherwise the server is **live** and starts only with a complete configuration:
//! every missing variable is named, and nothing falls back to the demo quietly.

mod mode;
pub mod sources;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use engine::sealing::KeyRing;
use engine::secret::Secret;
use leptos::config::LeptosOptions;

use sources::Sources;

use crate::drain::DrainSettings;

/// Demo mode's database when `DATABASE_URL` is not set: a file under `data/`.
pub const DEMO_DATABASE_URL: &str = "sqlite://data/workshop-key-minter.db?mode=rwc";
/// Where live mode reads workshop files (`WORKSHOPS_DIR`): the organisation's own.
pub const LIVE_WORKSHOPS_DIR: &str = "workshops";
/// Where demo mode reads them: the samples, never loaded live.
pub const DEMO_WORKSHOPS_DIR: &str = "demo/workshops";

#[derive(Debug, Clone)]
pub struct Config {
    pub leptos_options: LeptosOptions,
    /// May carry a password: read it with `expose()` only to connect.
    pub database_url: Secret,
    pub workshops_dir: PathBuf,
    pub mode: Mode,
    /// How often usage is refreshed from OpenRouter while a workshop is live
    /// (`USAGE_SYNC_INTERVAL_SECS`, default 60).
    pub usage_sync_interval: Duration,
    /// Demo mode only: where the in-process OpenRouter simulator listens
    /// (`DEMO_SIMULATOR_ADDR`, default any free loopback port; never another address)
    /// and the latency it adds to every call (`DEMO_SIMULATOR_LATENCY_MS`, default 0;
    /// the benchmark sets it).
    pub demo_simulator_addr: SocketAddr,
    pub demo_simulator_latency: Duration,
    /// How long one OpenRouter call may take before it counts as failed
    /// (`OPENROUTER_TIMEOUT_SECS`, default 5).
    pub openrouter_timeout: Duration,
    /// How long calls are refused after OpenRouter failed three times in a row, the
    /// first time (`OPENROUTER_BREAKER_SECS`, default 2; doubles up to 15 times that;
    /// 0 turns the circuit breaker off).
    pub openrouter_breaker: Duration,
    /// How long before a workshop's claims open its warm key pool starts filling
    /// (`KEY_POOL_LEAD_MINUTES`, default 30).
    pub key_pool_lead: Duration,
    /// How a SIGTERM drains (`SHUTDOWN_GRACE_SECS`, default 5; `SHUTDOWN_TIMEOUT_SECS`,
    /// default 25). See `drain`.
    pub drain: DrainSettings,
    /// Where Prometheus metrics are served (`METRICS_ADDR`); none when unset. Never the
    /// public listener.
    pub metrics_addr: Option<SocketAddr>,
    /// Whether start-up runs the migrations (`MIGRATE_ON_START`, default true); false
    /// for deploys that run `server migrate` as a step of their own.
    pub migrate_on_start: bool,
    /// Seals every stored key (`KEY_ENCRYPTION_KEYS`, `id:base64[,…]`: the first seals,
    /// all open). Required live; demo mode keeps one in a file beside its database
    /// when none is given.
    pub key_ring: Option<KeyRing>,
    /// Erase stored keys this long after they expired (`KEY_RETENTION_DAYS`); kept
    /// while the row exists when unset.
    pub key_retention: Option<Duration>,
}

#[derive(Debug, Clone)]
pub enum Mode {
    /// `public_url`: a loopback `PUBLIC_URL`, if one was given (links and the QR code use
    /// it); otherwise the address the server bound.
    Demo {
        public_url: Option<String>,
    },
    Live(Box<LiveSettings>),
}

/// What a real deployment needs. Used by sign-in and minting.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    /// `https://keys.example.com`, no trailing slash. Empty means "the address the server
    /// bound", which only tests use (they bind port 0).
    pub public_url: String,
    pub openrouter_base_url: String,
    pub openrouter_management_key: Secret,
    pub google: Option<OAuthClient>,
    pub github: Option<OAuthClient>,
    /// OpenID Connect issuer for "Sign in with Google"; tests point it at a local provider.
    pub google_issuer_url: String,
    /// Where GitHub's authorize and token endpoints live (`https://github.com`).
    pub github_oauth_url: String,
    /// GitHub's REST API (`https://api.github.com`).
    pub github_api_url: String,
    pub admin_emails: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: Secret,
}

/// Why the server will not start. Each is one sentence an operator can act on; none
/// ever contains a secret's value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read the Leptos settings: {0}")]
    Leptos(String),
    #[error(
        "not starting: DEMO_MODE is not set, so this is a live deployment, and it needs {0}; \
         to try the app without any of them, run `make run` (demo mode, DEMO_MODE=true)"
    )]
    LiveIncomplete(String),
    #[error("{0} must be set together with {1}")]
    HalfPair(&'static str, &'static str),
    #[error("{0} must be {1}, not {2:?}")]
    Invalid(&'static str, &'static str, String),
    #[error("{name} is given twice, as {places}: keep one")]
    SecretTwice { name: &'static str, places: String },
    #[error("{name} cannot be read from {via} ({path}): {reason}")]
    SecretFile {
        name: &'static str,
        via: String,
        path: String,
        reason: String,
    },
    #[error(
        "DEMO_MODE is true, but this server was built without demo mode (the `demo` cargo \
         feature, which `make dist` leaves out): run `make run` for the demo"
    )]
    DemoNotBuilt,
    #[error(
        "DEMO_MODE is true, but production settings are present ({0}): demo sign-in lets \
         anyone in as anyone, so demo mode never runs with them; unset them, or unset \
         DEMO_MODE to run live"
    )]
    DemoWithProduction(String),
    #[error(
        "demo mode refuses to listen on {0}, which is not a loopback address: demo sign-in \
         lets anyone in. Set DEMO_ALLOW_PUBLIC=true if you really mean it."
    )]
    PublicDemo(SocketAddr),
    #[error(
        "DEMO_SIMULATOR_ADDR must be a loopback address (the simulator's control routes \
         change keys and spending), not {0}"
    )]
    PublicSimulator(SocketAddr),
    #[error(
        "PUBLIC_URL must start with https:// (http:// only for a loopback address, for \
         tests), not {0:?}"
    )]
    InsecurePublicUrl(String),
    #[error("PUBLIC_URL must be an origin like https://keys.example.com, with no path, query or user name, not {0:?}")]
    BadPublicUrl(String),
    #[error(
        "KEY_ENCRYPTION_KEYS must be `id:base64(32 bytes)[,id:base64…]` ({0}); make one with \
         `./server new-key`"
    )]
    KeyRing(String),
}

pub const DEFAULT_OPENROUTER_BASE_URL: &str = "https://openrouter.ai/api/v1";
pub const DEFAULT_GOOGLE_ISSUER_URL: &str = "https://accounts.google.com";
pub const DEFAULT_GITHUB_OAUTH_URL: &str = "https://github.com";
pub const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        // A missing .env is normal; a real environment variable wins over the file.
        let _ = dotenvy::dotenv();
        let leptos_options = leptos_options()?;
        Config::from_lookup(leptos_options, |name| std::env::var(name).ok())
    }

    /// Builds the configuration from any source of variables (tests pass a map).
    pub fn from_lookup(
        leptos_options: LeptosOptions,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let sources = Sources::new(&lookup);
        let mode = mode::from_sources(&sources, leptos_options.site_addr)?;
        let demo = matches!(mode, Mode::Demo { .. });
        let database_url = match sources.secret("DATABASE_URL")? {
            Some(url) => url,
            // Live mode has refused a missing DATABASE_URL already.
            None => DEMO_DATABASE_URL.to_string(),
        };
        let default_workshops = if demo {
            DEMO_WORKSHOPS_DIR
        } else {
            LIVE_WORKSHOPS_DIR
        };
        Ok(Config {
            leptos_options,
            database_url: Secret::new(database_url),
            workshops_dir: PathBuf::from(
                sources
                    .get("WORKSHOPS_DIR")
                    .unwrap_or_else(|| default_workshops.to_string()),
            ),
            mode,
            usage_sync_interval: Duration::from_secs(
                parsed(
                    &sources,
                    "USAGE_SYNC_INTERVAL_SECS",
                    "a number of seconds above 0",
                    60,
                )?
                .max(1),
            ),
            key_pool_lead: Duration::from_secs(
                60 * parsed(
                    &sources,
                    "KEY_POOL_LEAD_MINUTES",
                    "a number of minutes",
                    30_u64,
                )?,
            ),
            demo_simulator_addr: mode::demo_simulator_addr(&sources)?,
            demo_simulator_latency: Duration::from_millis(parsed(
                &sources,
                "DEMO_SIMULATOR_LATENCY_MS",
                "a number of milliseconds",
                0,
            )?),
            openrouter_timeout: Duration::from_secs(
                parsed(
                    &sources,
                    "OPENROUTER_TIMEOUT_SECS",
                    "a number of seconds above 0",
                    5,
                )?
                .max(1),
            ),
            openrouter_breaker: Duration::from_secs(parsed(
                &sources,
                "OPENROUTER_BREAKER_SECS",
                "a number of seconds (0 turns it off)",
                2,
            )?),
            drain: DrainSettings {
                grace: Duration::from_secs(parsed(
                    &sources,
                    "SHUTDOWN_GRACE_SECS",
                    "a number of seconds",
                    5,
                )?),
                timeout: Duration::from_secs(parsed(
                    &sources,
                    "SHUTDOWN_TIMEOUT_SECS",
                    "a number of seconds",
                    25,
                )?),
            },
            metrics_addr: match sources.get("METRICS_ADDR") {
                None => None,
                Some(text) => Some(text.parse().map_err(|_| {
                    ConfigError::Invalid("METRICS_ADDR", "an address like 127.0.0.1:9100", text)
                })?),
            },
            migrate_on_start: parsed(&sources, "MIGRATE_ON_START", "true or false", true)?,
            key_ring: match sources.secret("KEY_ENCRYPTION_KEYS")? {
                Some(text) => Some(
                    KeyRing::parse(&text)
                        .map_err(|problem| ConfigError::KeyRing(problem.to_string()))?,
                ),
                None => None,
            },
            key_retention: match sources.get("KEY_RETENTION_DAYS") {
                None => None,
                Some(text) => match text.parse::<u64>() {
                    Ok(days) if days > 0 => Some(Duration::from_secs(days * 86_400)),
                    _ => {
                        return Err(ConfigError::Invalid(
                            "KEY_RETENTION_DAYS",
                            "a number of days above 0",
                            text,
                        ))
                    }
                },
            },
        })
    }

    pub fn is_demo(&self) -> bool {
        matches!(self.mode, Mode::Demo { .. })
    }
}

/// The variable `name` parsed, its default when unset, or an error naming it.
fn parsed<T: std::str::FromStr>(
    sources: &Sources,
    name: &'static str,
    expected: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match sources.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| ConfigError::Invalid(name, expected, text)),
    }
}

/// Leptos settings: from the environment when cargo-leptos started us (it sets
/// `LEPTOS_*`), otherwise from `Leptos.toml` in the working directory (a deployed
/// binary next to its `site/` folder), otherwise the defaults baked in at build time.
fn leptos_options() -> Result<LeptosOptions, ConfigError> {
    let from_cargo_leptos = std::env::var_os("LEPTOS_SITE_ROOT").is_some();
    let file = std::path::Path::new("Leptos.toml");
    let conf = if !from_cargo_leptos && file.exists() {
        leptos::config::get_configuration(Some("Leptos.toml"))
    } else {
        leptos::config::get_configuration(None)
    };
    conf.map(|conf| conf.leptos_options)
        .map_err(|error| ConfigError::Leptos(error.to_string()))
}

#[cfg(test)]
mod tests;
