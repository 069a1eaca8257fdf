//! Every setting the server reads is documented where operators look: in
//! `deploy/env.example` (with its default) and in the README's configuration table. The
//! names are read from the code that reads them, so a new variable without its line
//! fails here.

use std::collections::BTreeSet;

/// The files that read settings.
const READERS: [&str; 5] = [
    "src/config.rs",
    "src/config/mode.rs",
    "src/config/sources.rs",
    "src/telemetry.rs",
    "src/key_ring.rs",
];

/// Read, but set by tools rather than by operators.
const NOT_OPERATORS: [&str; 1] = [
    // cargo-leptos sets it under `cargo leptos watch` (which implies demo mode).
    "LEPTOS_WATCH",
];

fn variables_read() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in READERS {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let code = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
        for quoted in code.split('"').skip(1).step_by(2) {
            let looks_like_one = quoted.len() >= 4
                && quoted.contains('_')
                && quoted
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if looks_like_one && !NOT_OPERATORS.contains(&quoted) {
                names.insert(quoted.to_string());
            }
        }
    }
    names
}

fn read(relative: &str) -> String {
    let path = format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

#[test]
fn every_setting_is_in_env_example_and_the_readme() {
    let names = variables_read();
    assert!(names.len() > 20, "found only {names:?}");
    for name in [
        "KEY_ENCRYPTION_KEYS",
        "SHUTDOWN_GRACE_SECS",
        "METRICS_ADDR",
        "LOG_FORMAT",
    ] {
        assert!(names.contains(name), "{name} not found in the code");
    }
    let example = read("deploy/env.example");
    let readme = read("README.md");
    let mut missing = Vec::new();
    for name in &names {
        if !example.contains(name.as_str()) {
            missing.push(format!("{name} (deploy/env.example)"));
        }
        if !readme.contains(&format!("`{name}`")) {
            missing.push(format!("{name} (README configuration table)"));
        }
    }
    assert!(missing.is_empty(), "undocumented settings: {missing:#?}");
}
