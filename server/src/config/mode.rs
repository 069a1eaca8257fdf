//! Which mode the server runs in, and the refusals that keep the two apart: demo mode
//! never starts next to a production setting, live mode never starts half-configured.

use std::net::SocketAddr;

use super::sources::{Sources, SECRET_VARIABLES};
use super::{
    ConfigError, LiveSettings, Mode, OAuthClient, DEFAULT_GITHUB_API_URL, DEFAULT_GITHUB_OAUTH_URL,
    DEFAULT_GOOGLE_ISSUER_URL, DEFAULT_OPENROUTER_BASE_URL,
};
use engine::secret::Secret;

/// Settings that only a live deployment has; their presence refuses demo mode.
const PRODUCTION_PLAIN_VARIABLES: [&str; 5] = [
    "ADMIN_EMAILS",
    "GOOGLE_CLIENT_ID",
    "GITHUB_CLIENT_ID",
    "OPENROUTER_BASE_URL",
    "GOOGLE_ISSUER_URL",
];

pub fn from_sources(sources: &Sources, site_addr: SocketAddr) -> Result<Mode, ConfigError> {
    // Checked in both modes: half a pair is a mistake whichever mode was meant.
    let google = oauth_client(sources, "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")?;
    let github = oauth_client(sources, "GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")?;
    if demo_requested(sources)? {
        demo(sources, site_addr)
    } else {
        live(sources, google, github)
    }
}

/// `DEMO_MODE=true`, or a server started by `cargo leptos watch` (which sets
/// `LEPTOS_WATCH`; a deployed binary never runs under it) in a build that has the demo.
fn demo_requested(sources: &Sources) -> Result<bool, ConfigError> {
    match sources.get("DEMO_MODE").as_deref() {
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError::Invalid(
            "DEMO_MODE",
            "true or false",
            other.to_string(),
        )),
        None => Ok(cfg!(feature = "demo") && sources.is_set("LEPTOS_WATCH")),
    }
}

fn demo(sources: &Sources, site_addr: SocketAddr) -> Result<Mode, ConfigError> {
    if !cfg!(feature = "demo") {
        return Err(ConfigError::DemoNotBuilt);
    }
    let mut present: Vec<String> = Vec::new();
    for name in SECRET_VARIABLES {
        if name == "DATABASE_URL" {
            continue;
        }
        if sources.secret_is_set(name)? {
            present.push(name.to_string());
        }
    }
    for name in PRODUCTION_PLAIN_VARIABLES {
        if sources.is_set(name) {
            present.push(name.to_string());
        }
    }
    let public_url = match sources.get("PUBLIC_URL") {
        Some(url) => match parse_public_url(&url) {
            Ok(origin) if origin.loopback => Some(origin.text),
            _ => {
                present.push("PUBLIC_URL (not a loopback address)".into());
                None
            }
        },
        None => None,
    };
    if let Some(url) = sources.secret("DATABASE_URL")? {
        // The benchmark runs the demo on a fresh Postgres database of its own, and says so.
        let postgres_asked = sources
            .get("DEMO_ALLOW_POSTGRES")
            .is_some_and(|value| value == "true" || value == "1");
        if !url.starts_with("sqlite:") && !postgres_asked {
            present.push("DATABASE_URL (not SQLite)".into());
        }
    }
    if !present.is_empty() {
        present.sort();
        return Err(ConfigError::DemoWithProduction(present.join(", ")));
    }
    let public_ok = sources
        .get("DEMO_ALLOW_PUBLIC")
        .is_some_and(|value| value == "true" || value == "1");
    if !site_addr.ip().is_loopback() && !public_ok {
        return Err(ConfigError::PublicDemo(site_addr));
    }
    Ok(Mode::Demo { public_url })
}

fn live(
    sources: &Sources,
    google: Option<OAuthClient>,
    github: Option<OAuthClient>,
) -> Result<Mode, ConfigError> {
    let management_key = sources.secret("OPENROUTER_MANAGEMENT_KEY")?;
    let public_url = sources.get("PUBLIC_URL");
    let database_url = sources.secret("DATABASE_URL")?;
    let key_ring = sources.secret("KEY_ENCRYPTION_KEYS")?;
    let mut missing = Vec::new();
    if management_key.is_none() {
        missing.push("OPENROUTER_MANAGEMENT_KEY");
    }
    if public_url.is_none() {
        missing.push("PUBLIC_URL");
    }
    if database_url.is_none() {
        missing.push("DATABASE_URL");
    }
    if key_ring.is_none() {
        missing.push(
            "KEY_ENCRYPTION_KEYS (it seals the stored keys; make one with `./server new-key`)",
        );
    }
    if google.is_none() && github.is_none() {
        missing.push(
            "a sign-in provider (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, or \
             GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET)",
        );
    }
    if !missing.is_empty() {
        return Err(ConfigError::LiveIncomplete(join_names(&missing)));
    }
    let public_url = parse_public_url(&public_url.unwrap_or_default())?;
    if !public_url.https && !public_url.loopback {
        return Err(ConfigError::InsecurePublicUrl(public_url.text));
    }
    if let Some(url) = &database_url {
        if !["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
        {
            return Err(ConfigError::Invalid(
                "DATABASE_URL",
                "a sqlite:// or postgres:// URL",
                // Only the scheme: the rest may hold a password.
                url.split(':').next().unwrap_or_default().to_string() + ":…",
            ));
        }
    }
    Ok(Mode::Live(Box::new(LiveSettings {
        public_url: public_url.text,
        openrouter_base_url: sources
            .get("OPENROUTER_BASE_URL")
            .unwrap_or_else(|| DEFAULT_OPENROUTER_BASE_URL.into()),
        openrouter_management_key: Secret::new(management_key.unwrap_or_default()),
        google,
        github,
        google_issuer_url: sources
            .get("GOOGLE_ISSUER_URL")
            .unwrap_or_else(|| DEFAULT_GOOGLE_ISSUER_URL.into()),
        github_oauth_url: sources
            .get("GITHUB_OAUTH_URL")
            .unwrap_or_else(|| DEFAULT_GITHUB_OAUTH_URL.into()),
        github_api_url: sources
            .get("GITHUB_API_URL")
            .unwrap_or_else(|| DEFAULT_GITHUB_API_URL.into()),
        admin_emails: sources
            .get("ADMIN_EMAILS")
            .unwrap_or_default()
            .split(',')
            .filter_map(engine::email::exact_address)
            .collect(),
    })))
}

/// `a`, `a and b`, `a, b and c`.
fn join_names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `PUBLIC_URL` read as an origin.
struct PublicOrigin {
    /// `scheme://host[:port]`, no trailing slash.
    text: String,
    https: bool,
    loopback: bool,
}

fn parse_public_url(value: &str) -> Result<PublicOrigin, ConfigError> {
    let bad = || ConfigError::BadPublicUrl(value.to_string());
    let url = reqwest::Url::parse(value).map_err(|_| bad())?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err(bad()),
    };
    let only_origin = (url.path() == "/" || url.path().is_empty())
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !only_origin {
        return Err(bad());
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(bad()),
    };
    Ok(PublicOrigin {
        text: url.origin().ascii_serialization(),
        https,
        loopback,
    })
}

/// Demo mode's simulator address: loopback only, whatever the mode (its control routes
/// steer keys and spending, so it is never reachable from elsewhere).
pub fn demo_simulator_addr(sources: &Sources) -> Result<SocketAddr, ConfigError> {
    let addr = match sources.get("DEMO_SIMULATOR_ADDR") {
        None => return Ok(SocketAddr::from(([127, 0, 0, 1], 0))),
        Some(text) => text.parse::<SocketAddr>().map_err(|_| {
            ConfigError::Invalid(
                "DEMO_SIMULATOR_ADDR",
                "an address like 127.0.0.1:4010",
                text,
            )
        })?,
    };
    if !addr.ip().is_loopback() {
        return Err(ConfigError::PublicSimulator(addr));
    }
    Ok(addr)
}

fn oauth_client(
    sources: &Sources,
    id_name: &'static str,
    secret_name: &'static str,
) -> Result<Option<OAuthClient>, ConfigError> {
    match (sources.get(id_name), sources.secret(secret_name)?) {
        (Some(client_id), Some(secret)) => Ok(Some(OAuthClient {
            client_id,
            client_secret: Secret::new(secret),
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::HalfPair(id_name, secret_name)),
        (None, Some(_)) => Err(ConfigError::HalfPair(secret_name, id_name)),
    }
}
