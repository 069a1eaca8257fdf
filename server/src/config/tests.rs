//! Configuration from the environment: the explicit modes and every refusal that keeps
//! them apart, secrets from files, and each variable's default and error.

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

fn demo(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut all = vec![("DEMO_MODE", "true")];
    all.extend_from_slice(vars);
    config("127.0.0.1:3000", &all)
}

/// Everything a live deployment needs, with GitHub sign-in.
const LIVE: [(&str, &str); 6] = [
    (
        "KEY_ENCRYPTION_KEYS",
        "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    ),
    ("OPENROUTER_MANAGEMENT_KEY", "sk-or-v1-x"),
    ("GITHUB_CLIENT_ID", "id"),
    ("GITHUB_CLIENT_SECRET", "secret"),
    ("PUBLIC_URL", "https://keys.example.com/"),
    ("DATABASE_URL", "postgres://wkm:pw@db/wkm"),
];

fn live(overrides: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut all: Vec<(&str, &str)> = LIVE
        .iter()
        .filter(|(name, _)| !overrides.iter().any(|(other, _)| other == name))
        .copied()
        .collect();
    all.extend(overrides.iter().filter(|(_, value)| !value.is_empty()));
    config("0.0.0.0:3000", &all)
}

#[test]
fn nothing_set_refuses_to_start_and_names_every_missing_variable() {
    let message = config("127.0.0.1:3000", &[]).unwrap_err().to_string();
    for name in [
        "DEMO_MODE",
        "OPENROUTER_MANAGEMENT_KEY",
        "PUBLIC_URL",
        "DATABASE_URL",
        "KEY_ENCRYPTION_KEYS",
        "./server new-key",
        "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, or GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET",
        "make run",
    ] {
        assert!(message.contains(name), "{name} is not named: {message}");
    }
}

#[test]
fn a_missing_variable_in_an_otherwise_live_setup_is_named_alone() {
    let message = live(&[("DATABASE_URL", "")]).unwrap_err().to_string();
    assert!(message.contains("needs DATABASE_URL;"), "{message}");
    assert!(!message.contains("sk-or-v1-x"), "{message}");
}

#[test]
fn demo_mode_only_when_asked_for() {
    let demo_config = demo(&[]).unwrap();
    assert!(demo_config.is_demo());
    assert_eq!(demo_config.database_url.expose(), DEMO_DATABASE_URL);
    assert_eq!(demo_config.workshops_dir, PathBuf::from("demo/workshops"));
    assert_eq!(
        config("127.0.0.1:3000", &[("DEMO_MODE", "maybe")]).unwrap_err(),
        ConfigError::Invalid("DEMO_MODE", "true or false", "maybe".into())
    );
    // `cargo leptos watch` sets LEPTOS_WATCH: a developer's loop is the demo.
    assert!(config("127.0.0.1:3000", &[("LEPTOS_WATCH", "ON")])
        .unwrap()
        .is_demo());
    // ... unless live was asked for explicitly.
    assert!(matches!(
        config(
            "127.0.0.1:3000",
            &[("LEPTOS_WATCH", "ON"), ("DEMO_MODE", "false")]
        ),
        Err(ConfigError::LiveIncomplete(_))
    ));
}

#[test]
fn demo_mode_refuses_every_production_setting() {
    for (name, value) in [
        ("PUBLIC_URL", "https://keys.example.com"),
        ("PUBLIC_URL", "http://10.0.0.5:3000"),
        ("DATABASE_URL", "postgres://root@127.0.0.1/wkm"),
        ("ADMIN_EMAILS", "boss@example.com"),
        ("OPENROUTER_MANAGEMENT_KEY", "sk-or-v1-real"),
        ("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1"),
        ("KEY_ENCRYPTION_KEYS", "k1:AAAA"),
    ] {
        let error = demo(&[(name, value)]).unwrap_err();
        assert!(
            matches!(&error, ConfigError::DemoWithProduction(names) if names.contains(name)),
            "{name}={value}: {error}"
        );
        assert!(!error.to_string().contains("sk-or-v1-real"), "{error}");
    }
    let both = demo(&[
        ("GOOGLE_CLIENT_ID", "id"),
        ("GOOGLE_CLIENT_SECRET", "secret"),
    ])
    .unwrap_err();
    assert_eq!(
        both.to_string(),
        "DEMO_MODE is true, but production settings are present (GOOGLE_CLIENT_ID, \
         GOOGLE_CLIENT_SECRET): demo sign-in lets anyone in as anyone, so demo mode never \
         runs with them; unset them, or unset DEMO_MODE to run live"
    );
    // A benchmark's own Postgres database, asked for by name.
    assert!(demo(&[
        ("DATABASE_URL", "postgres://root@127.0.0.1/bench"),
        ("DEMO_ALLOW_POSTGRES", "true"),
    ])
    .is_ok());
    // A loopback PUBLIC_URL and a SQLite file are the demo's own.
    let ok = demo(&[
        ("PUBLIC_URL", "http://localhost:3000"),
        ("DATABASE_URL", "sqlite://elsewhere.db?mode=rwc"),
    ])
    .unwrap();
    assert!(
        matches!(ok.mode, Mode::Demo { public_url: Some(ref url) } if url == "http://localhost:3000")
    );
}

#[test]
fn demo_mode_refuses_a_public_address_unless_asked() {
    let public = |vars: &[(&str, &str)]| {
        let mut all = vec![("DEMO_MODE", "true")];
        all.extend_from_slice(vars);
        config("0.0.0.0:3000", &all)
    };
    assert_eq!(
        public(&[]).unwrap_err(),
        ConfigError::PublicDemo("0.0.0.0:3000".parse().unwrap())
    );
    assert!(public(&[("DEMO_ALLOW_PUBLIC", "true")]).unwrap().is_demo());
}

#[test]
fn the_demo_simulator_listens_on_loopback_only() {
    assert_eq!(
        demo(&[("DEMO_SIMULATOR_ADDR", "0.0.0.0:4010")]).unwrap_err(),
        ConfigError::PublicSimulator("0.0.0.0:4010".parse().unwrap())
    );
    assert!(demo(&[("DEMO_SIMULATOR_ADDR", "[::1]:4010")]).is_ok());
}

#[test]
fn half_an_oauth_pair_is_refused_in_either_mode() {
    assert_eq!(
        demo(&[("GITHUB_CLIENT_ID", "id")]).unwrap_err(),
        ConfigError::HalfPair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
    );
    assert_eq!(
        live(&[("GITHUB_CLIENT_SECRET", "")]).unwrap_err(),
        ConfigError::HalfPair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET")
    );
}

#[test]
fn live_mode_refuses_plain_http_except_on_loopback() {
    assert_eq!(
        live(&[("PUBLIC_URL", "http://keys.example.com")]).unwrap_err(),
        ConfigError::InsecurePublicUrl("http://keys.example.com".into())
    );
    for loopback in [
        "http://127.0.0.1:3000",
        "http://localhost:8080",
        "http://[::1]:3000",
    ] {
        assert!(live(&[("PUBLIC_URL", loopback)]).is_ok(), "{loopback}");
    }
    for bad in [
        "keys.example.com",
        "https://keys.example.com/workshops",
        "https://user@keys.example.com",
        "ftp://keys.example.com",
    ] {
        assert_eq!(
            live(&[("PUBLIC_URL", bad)]).unwrap_err(),
            ConfigError::BadPublicUrl(bad.into()),
            "{bad}"
        );
    }
}

#[test]
fn complete_live_settings_are_accepted() {
    let config = live(&[("ADMIN_EMAILS", "Boss@Example.com, not-an-email")]).unwrap();
    assert_eq!(config.workshops_dir, PathBuf::from("workshops"));
    let Mode::Live(live) = &config.mode else {
        panic!("expected live mode")
    };
    assert_eq!(live.public_url, "https://keys.example.com");
    assert_eq!(live.admin_emails, vec!["boss@example.com".to_string()]);
    let printed = format!("{config:?}");
    for secret in ["sk-or-v1-x", "secret\"", "pw@db"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
}

#[test]
fn a_database_url_that_is_not_a_database_is_refused_without_echoing_it() {
    let error = live(&[("DATABASE_URL", "mysql://u:hunter2@db/x")]).unwrap_err();
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert!(error.to_string().contains("DATABASE_URL"), "{error}");
}

#[test]
fn secrets_come_from_files_and_systemd_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("management-key");
    std::fs::write(&key_file, "sk-or-v1-from-file\n").unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::create_dir(&credentials).unwrap();
    std::fs::write(credentials.join("GITHUB_CLIENT_SECRET"), "from-credential").unwrap();
    let key_path = key_file.display().to_string();
    let credentials_path = credentials.display().to_string();

    let config = live(&[
        ("OPENROUTER_MANAGEMENT_KEY", ""),
        ("OPENROUTER_MANAGEMENT_KEY_FILE", &key_path),
        ("GITHUB_CLIENT_SECRET", ""),
        ("CREDENTIALS_DIRECTORY", &credentials_path),
    ])
    .unwrap();
    let Mode::Live(settings) = config.mode else {
        panic!("expected live mode")
    };
    assert_eq!(
        settings.openrouter_management_key.expose(),
        "sk-or-v1-from-file"
    );
    assert_eq!(
        settings.github.unwrap().client_secret.expose(),
        "from-credential"
    );
}

#[test]
fn a_secret_given_twice_or_unreadable_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, "sk-or-v1-from-file").unwrap();
    std::fs::write(
        dir.path().join("OPENROUTER_MANAGEMENT_KEY"),
        "sk-or-v1-cred",
    )
    .unwrap();
    let path = file.display().to_string();
    let directory = dir.path().display().to_string();

    let twice = live(&[("OPENROUTER_MANAGEMENT_KEY_FILE", &path)]).unwrap_err();
    assert_eq!(
        twice.to_string(),
        "OPENROUTER_MANAGEMENT_KEY is given twice, as the environment variable \
         OPENROUTER_MANAGEMENT_KEY and OPENROUTER_MANAGEMENT_KEY_FILE: keep one"
    );
    let file_and_credential = live(&[
        ("OPENROUTER_MANAGEMENT_KEY", ""),
        ("OPENROUTER_MANAGEMENT_KEY_FILE", &path),
        ("CREDENTIALS_DIRECTORY", &directory),
    ])
    .unwrap_err();
    assert!(
        matches!(
            file_and_credential,
            ConfigError::SecretTwice {
                name: "OPENROUTER_MANAGEMENT_KEY",
                ..
            }
        ),
        "{file_and_credential}"
    );

    let missing = dir.path().join("nothing-here").display().to_string();
    let unreadable = live(&[
        ("OPENROUTER_MANAGEMENT_KEY", ""),
        ("OPENROUTER_MANAGEMENT_KEY_FILE", &missing),
    ])
    .unwrap_err();
    assert!(
        unreadable.to_string().starts_with(
            "OPENROUTER_MANAGEMENT_KEY cannot be read from OPENROUTER_MANAGEMENT_KEY_FILE"
        ),
        "{unreadable}"
    );
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let empty = live(&[
        ("OPENROUTER_MANAGEMENT_KEY", ""),
        (
            "OPENROUTER_MANAGEMENT_KEY_FILE",
            &empty.display().to_string(),
        ),
    ])
    .unwrap_err();
    assert!(empty.to_string().ends_with("it is empty"), "{empty}");
    // A secret in a file still refuses demo mode.
    let demo_with_file = demo(&[("OPENROUTER_MANAGEMENT_KEY_FILE", &path)]).unwrap_err();
    assert!(matches!(demo_with_file, ConfigError::DemoWithProduction(_)));
}

#[test]
fn sync_interval_and_demo_simulator_settings_are_read_and_checked() {
    let defaults = demo(&[]).unwrap();
    assert_eq!(defaults.usage_sync_interval, Duration::from_secs(60));
    assert_eq!(defaults.key_pool_lead, Duration::from_secs(30 * 60));
    assert_eq!(defaults.demo_simulator_latency, Duration::ZERO);
    assert!(defaults.demo_simulator_addr.ip().is_loopback());

    let set = demo(&[
        ("USAGE_SYNC_INTERVAL_SECS", "15"),
        ("KEY_POOL_LEAD_MINUTES", "5"),
        ("DEMO_SIMULATOR_ADDR", "127.0.0.1:4010"),
        ("DEMO_SIMULATOR_LATENCY_MS", "150"),
    ])
    .unwrap();
    assert_eq!(set.usage_sync_interval, Duration::from_secs(15));
    assert_eq!(set.key_pool_lead, Duration::from_secs(5 * 60));
    assert_eq!(set.demo_simulator_addr, "127.0.0.1:4010".parse().unwrap());
    assert_eq!(set.demo_simulator_latency, Duration::from_millis(150));

    let error = demo(&[("USAGE_SYNC_INTERVAL_SECS", "soon")]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "USAGE_SYNC_INTERVAL_SECS must be a number of seconds above 0, not \"soon\""
    );
}

#[test]
fn the_key_ring_is_read_strictly_and_never_shown() {
    let ok = live(&[]).unwrap();
    assert_eq!(ok.key_ring.as_ref().unwrap().ids(), vec!["k1"]);
    assert!(!format!("{ok:?}").contains("AAECAwQF"));
    let error = live(&[("KEY_ENCRYPTION_KEYS", "k1:c2hvcnQ=")]).unwrap_err();
    assert!(
        error.to_string().contains("`k1` is not 32 bytes") && error.to_string().contains("new-key"),
        "{error}"
    );
    assert!(!error.to_string().contains("c2hvcnQ"), "{error}");
    assert_eq!(
        live(&[("KEY_RETENTION_DAYS", "soon")]).unwrap_err(),
        ConfigError::Invalid(
            "KEY_RETENTION_DAYS",
            "a number of days above 0",
            "soon".into()
        )
    );
    assert_eq!(
        live(&[("KEY_RETENTION_DAYS", "30")]).unwrap().key_retention,
        Some(Duration::from_secs(30 * 86_400))
    );
}
