//! Configuration from the environment: demo mode, a complete or refused real setup,
//! and every variable's default and error.

use super::*;
use std::collections::HashMap;

fn options(addr: &str) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("test")
        .site_addr(addr.parse::<SocketAddr>().unwrap())
        .build()
}

fn config(addr: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(options(addr), |name| map.get(name).cloned())
}

#[test]
fn no_secrets_means_demo_mode_on_sqlite() {
    let config = config("127.0.0.1:3000", &[]).unwrap();
    assert!(config.is_demo());
    assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
}

#[test]
fn demo_mode_refuses_a_public_address_unless_asked() {
    assert_eq!(
        config("0.0.0.0:3000", &[]).unwrap_err(),
        ConfigError::PublicDemo("0.0.0.0:3000".parse().unwrap())
    );
    assert!(config("0.0.0.0:3000", &[("DEMO_ALLOW_PUBLIC", "true")])
        .unwrap()
        .is_demo());
}

#[test]
fn a_real_credential_never_falls_back_to_demo_mode() {
    let error = config(
        "127.0.0.1:3000",
        &[("OPENROUTER_MANAGEMENT_KEY", "sk-or-v1-x")],
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("PUBLIC_URL"), "{message}");
    assert!(
        message.contains("GOOGLE_CLIENT_ID/SECRET or GITHUB_CLIENT_ID/SECRET"),
        "{message}"
    );
    assert!(
        !message.contains("sk-or-v1-x"),
        "secrets never appear in messages: {message}"
    );
}

#[test]
fn half_an_oauth_pair_is_refused() {
    assert_eq!(
        config("127.0.0.1:3000", &[("GITHUB_CLIENT_ID", "id")]).unwrap_err(),
        ConfigError::HalfPair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
    );
}

#[test]
fn complete_live_settings_are_accepted() {
    let config = config(
        "0.0.0.0:3000",
        &[
            ("OPENROUTER_MANAGEMENT_KEY", "sk-or-v1-x"),
            ("GITHUB_CLIENT_ID", "id"),
            ("GITHUB_CLIENT_SECRET", "secret"),
            ("PUBLIC_URL", "https://keys.example.com/"),
            ("ADMIN_EMAILS", "Boss@Example.com, not-an-email"),
        ],
    )
    .unwrap();
    let Mode::Live(live) = config.mode else {
        panic!("expected live mode")
    };
    assert_eq!(live.public_url, "https://keys.example.com");
    assert_eq!(live.admin_emails, vec!["boss@example.com".to_string()]);
    assert!(!format!("{live:?}").contains("sk-or-v1-x"));
}

#[test]
fn sync_interval_and_demo_simulator_settings_are_read_and_checked() {
    let defaults = config("127.0.0.1:3000", &[]).unwrap();
    assert_eq!(defaults.usage_sync_interval, Duration::from_secs(60));
    assert_eq!(defaults.key_pool_lead, Duration::from_secs(30 * 60));
    assert_eq!(defaults.demo_simulator_latency, Duration::ZERO);
    assert!(defaults.demo_simulator_addr.ip().is_loopback());

    let set = config(
        "127.0.0.1:3000",
        &[
            ("USAGE_SYNC_INTERVAL_SECS", "15"),
            ("KEY_POOL_LEAD_MINUTES", "5"),
            ("DEMO_SIMULATOR_ADDR", "127.0.0.1:4010"),
            ("DEMO_SIMULATOR_LATENCY_MS", "150"),
        ],
    )
    .unwrap();
    assert_eq!(set.usage_sync_interval, Duration::from_secs(15));
    assert_eq!(set.key_pool_lead, Duration::from_secs(5 * 60));
    assert_eq!(set.demo_simulator_addr, "127.0.0.1:4010".parse().unwrap());
    assert_eq!(set.demo_simulator_latency, Duration::from_millis(150));

    let error = config("127.0.0.1:3000", &[("USAGE_SYNC_INTERVAL_SECS", "soon")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "USAGE_SYNC_INTERVAL_SECS must be a number of seconds above 0, not \"soon\""
    );
}
