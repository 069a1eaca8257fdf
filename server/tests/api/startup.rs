//! The server binary itself: a bad workshop file stops start-up with a message naming
//! the file and field (not a panic), and `check` reports the same for organisers' CI.

use std::process::Command;

fn server() -> Command {
    Command::new(env!("CARGO_BIN_EXE_server"))
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
        .env("WORKSHOPS_DIR", dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db?mode=rwc", dir.path().display()),
        )
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_OUTPUT_NAME", "workshop-key-minter")
        .env_remove("OPENROUTER_MANAGEMENT_KEY")
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
fn check_accepts_the_shipped_workshops() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/../workshops");
    let output = server().args(["check", folder]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("all valid"));
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
