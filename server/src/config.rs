//! Runtime configuration from the environment (and an optional `.env` file).
//!
//! With no OpenRouter key and no OAuth credentials the server runs in **demo mode**:
//! SQLite, the built-in OpenRouter simulator, demo sign-in. A half-configured
//! production (say, a management key but no `PUBLIC_URL`) is refused rather than
//! quietly falling back to demo mode, and so is demo mode in a binary built without
//! the `demo` feature.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use app::server::secret::Secret;
use leptos::config::LeptosOptions;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/workshop-key-minter.db?mode=rwc";

#[derive(Debug, Clone)]
pub struct Config {
    pub leptos_options: LeptosOptions,
    pub database_url: String,
    pub workshops_dir: PathBuf,
    pub mode: Mode,
    /// How often usage is refreshed from OpenRouter while a workshop is live
    /// (`USAGE_SYNC_INTERVAL_SECS`, default 60).
    pub usage_sync_interval: Duration,
    /// Demo mode only: where the in-process OpenRouter simulator listens
    /// (`DEMO_SIMULATOR_ADDR`, default any free loopback port) and the latency it adds
    /// to every call (`DEMO_SIMULATOR_LATENCY_MS`, default 0; the benchmark sets it).
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
}

#[derive(Debug, Clone)]
pub enum Mode {
    Demo,
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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read the Leptos settings: {0}")]
    Leptos(String),
    #[error("{0} is set, so this is a real deployment, but {1} missing: set {2}")]
    Incomplete(String, &'static str, String),
    #[error("{0} must be set together with {1}")]
    HalfPair(&'static str, &'static str),
    #[error("{0} must be {1}, not {2:?}")]
    Invalid(&'static str, &'static str, String),
    #[error(
        "no real configuration is set, so this would be demo mode, but this server was built \
         without it (cargo feature `demo`): set OPENROUTER_MANAGEMENT_KEY, an OAuth client \
         and PUBLIC_URL"
    )]
    DemoNotBuilt,
    #[error(
        "demo mode refuses to listen on {0}, which is not a loopback address: demo sign-in \
         lets anyone in. Set DEMO_ALLOW_PUBLIC=true if you really mean it."
    )]
    PublicDemo(SocketAddr),
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
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mode = mode_from(&get)?;
        if matches!(mode, Mode::Demo) && !cfg!(feature = "demo") {
            return Err(ConfigError::DemoNotBuilt);
        }
        if matches!(mode, Mode::Demo) {
            let public_ok =
                get("DEMO_ALLOW_PUBLIC").is_some_and(|value| value == "true" || value == "1");
            if !leptos_options.site_addr.ip().is_loopback() && !public_ok {
                return Err(ConfigError::PublicDemo(leptos_options.site_addr));
            }
        }
        Ok(Config {
            leptos_options,
            database_url: get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            workshops_dir: get("WORKSHOPS_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("workshops")),
            mode,
            usage_sync_interval: Duration::from_secs(
                parsed(
                    &get,
                    "USAGE_SYNC_INTERVAL_SECS",
                    "a number of seconds above 0",
                    60,
                )?
                .max(1),
            ),
            key_pool_lead: Duration::from_secs(
                60 * parsed(&get, "KEY_POOL_LEAD_MINUTES", "a number of minutes", 30_u64)?,
            ),
            demo_simulator_addr: parsed(
                &get,
                "DEMO_SIMULATOR_ADDR",
                "an address like 127.0.0.1:4010",
                SocketAddr::from(([127, 0, 0, 1], 0)),
            )?,
            demo_simulator_latency: Duration::from_millis(parsed(
                &get,
                "DEMO_SIMULATOR_LATENCY_MS",
                "a number of milliseconds",
                0,
            )?),
            openrouter_timeout: Duration::from_secs(
                parsed(
                    &get,
                    "OPENROUTER_TIMEOUT_SECS",
                    "a number of seconds above 0",
                    5,
                )?
                .max(1),
            ),
            openrouter_breaker: Duration::from_secs(parsed(
                &get,
                "OPENROUTER_BREAKER_SECS",
                "a number of seconds (0 turns it off)",
                2,
            )?),
        })
    }

    pub fn is_demo(&self) -> bool {
        matches!(self.mode, Mode::Demo)
    }
}

/// The variable `name` parsed, its default when unset, or an error naming it.
fn parsed<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    expected: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| ConfigError::Invalid(name, expected, text)),
    }
}

fn mode_from(get: &impl Fn(&str) -> Option<String>) -> Result<Mode, ConfigError> {
    let google = oauth_client(get, "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")?;
    let github = oauth_client(get, "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")?;
    let management_key = get("OPENROUTER_MANAGEMENT_KEY");
    let any_real = management_key.is_some() || google.is_some() || github.is_some();
    if !any_real {
        return Ok(Mode::Demo);
    }
    let present = [
        ("OPENROUTER_MANAGEMENT_KEY", management_key.is_some()),
        ("GOOGLE_CLIENT_ID", google.is_some()),
        ("GITHUB_CLIENT_ID", github.is_some()),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| *name)
    .collect::<Vec<_>>()
    .join(" and ");
    let mut missing = Vec::new();
    if management_key.is_none() {
        missing.push("OPENROUTER_MANAGEMENT_KEY");
    }
    if google.is_none() && github.is_none() {
        missing.push("GOOGLE_CLIENT_ID/SECRET or GITHUB_CLIENT_ID/SECRET");
    }
    if get("PUBLIC_URL").is_none() {
        missing.push("PUBLIC_URL");
    }
    if !missing.is_empty() {
        let verb = if missing.len() == 1 { "is" } else { "are" };
        return Err(ConfigError::Incomplete(present, verb, missing.join(", ")));
    }
    Ok(Mode::Live(Box::new(LiveSettings {
        public_url: get("PUBLIC_URL")
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string(),
        openrouter_base_url: get("OPENROUTER_BASE_URL")
            .unwrap_or_else(|| DEFAULT_OPENROUTER_BASE_URL.into()),
        openrouter_management_key: Secret::new(management_key.unwrap_or_default()),
        google,
        github,
        google_issuer_url: get("GOOGLE_ISSUER_URL")
            .unwrap_or_else(|| DEFAULT_GOOGLE_ISSUER_URL.into()),
        github_oauth_url: get("GITHUB_OAUTH_URL")
            .unwrap_or_else(|| DEFAULT_GITHUB_OAUTH_URL.into()),
        github_api_url: get("GITHUB_API_URL").unwrap_or_else(|| DEFAULT_GITHUB_API_URL.into()),
        admin_emails: get("ADMIN_EMAILS")
            .unwrap_or_default()
            .split(',')
            .filter_map(app::server::email::exact_address)
            .collect(),
    })))
}

fn oauth_client(
    get: &impl Fn(&str) -> Option<String>,
    id_name: &'static str,
    secret_name: &'static str,
) -> Result<Option<OAuthClient>, ConfigError> {
    match (get(id_name), get(secret_name)) {
        (Some(client_id), Some(secret)) => Ok(Some(OAuthClient {
            client_id,
            client_secret: Secret::new(secret),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::HalfPair(id_name, secret_name)),
        (None, Some(_)) => Err(ConfigError::HalfPair(secret_name, id_name)),
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
