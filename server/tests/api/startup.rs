//! The server binary itself: a bad workshop file stops start-up with a message naming
//! the file and field (not a panic), and `check` reports the same for organisers' CI.

use std::process::Command;

/// The server binary with none of the deployment's variables a developer's shell or the
/// test run might carry.
fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    for name in [
        "DEMO_MODE",
        "LEPTOS_WATCH",
        "DATABASE_URL",
        "PUBLIC_URL",
        "OPENROUTER_MANAGEMENT_KEY",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
        "ADMIN_EMAILS",
        "CREDENTIALS_DIRECTORY",
    ] {
        command.env_remove(name);
    }
    command
}

fn folder_with(name: &str, yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), yaml).unwrap();
    dir
}

const BAD: &str = "\
title: Broken
timezone: UTC
claims_open_at: 2026-04-14T18:00:00Z
claims_close_at: 2026-04-14T08:00:00Z
key_limit_usd: 2
limit_usd: 10
allowed_models: [openai/gpt-5-nano]
";

#[test]
fn a_bad_workshop_file_stops_start_up_with_file_line_and_field() {
    let dir = folder_with("broken.yaml", BAD);
    let output = server()
        .env("DEMO_MODE", "true")
        .env("WORKSHOPS_DIR", dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db?mode=rwc", dir.path().display()),
        )
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_OUTPUT_NAME", "workshop-key-minter")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("broken.yaml:4: field `claims_close_at`: claims close"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Refused before the database is touched.
    assert!(!dir.path().join("x.db").exists());
}

#[test]
fn check_accepts_the_organisation_folder_and_the_demo_samples() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let output = server()
        .current_dir(root)
        .args(["check", "workshops", "demo/workshops"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("workshops: 0 workshop file(s) and 1 template, all valid"),
        "{stdout}"
    );
    assert!(
        stdout.contains("demo/workshops: 2 workshop file(s), all valid"),
        "{stdout}"
    );
}

#[test]
fn with_nothing_set_the_server_refuses_to_start_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let output = server()
        .current_dir(dir.path())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_OUTPUT_NAME", "workshop-key-minter")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for name in [
        "DEMO_MODE",
        "OPENROUTER_MANAGEMENT_KEY",
        "PUBLIC_URL",
        "make run",
    ] {
        assert!(stderr.contains(name), "{name} not named: {stderr}");
    }
    // Refused before anything was created: no database file, no data folder.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn demo_mode_next_to_a_production_database_refuses_to_start() {
    let output = server()
        .env("DEMO_MODE", "true")
        .env("DATABASE_URL", "postgres://root@127.0.0.1:5432/production")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_OUTPUT_NAME", "workshop-key-minter")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("production settings are present (DATABASE_URL (not SQLite))"),
        "{stderr}"
    );
}

#[test]
fn check_refuses_a_bad_folder_with_the_same_message() {
    let dir = folder_with("broken.yaml", &format!("{BAD}colour: blue\n"));
    let output = server().arg("check").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("1 problem in the workshop files"),
        "{stderr}"
    );
    assert!(
        stderr.contains("broken.yaml:8: field `colour`: unknown field"),
        "{stderr}"
    );
}
