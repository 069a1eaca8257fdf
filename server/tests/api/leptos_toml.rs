//! Cargo.toml's `[[workspace.metadata.leptos]]` configures the build; Leptos.toml the
//! deployed binary. The names they share must agree, or a deployed server would look
//! for files the build never wrote.

use leptos::config::get_config_from_str;

#[test]
fn leptos_toml_agrees_with_the_build_settings() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let read = |name: &str| std::fs::read_to_string(format!("{root}/{name}")).unwrap();
    let cargo_toml = read("Cargo.toml");
    let build = |key: &str| build_setting(&cargo_toml, key);
    let deploy = get_config_from_str(&read("Leptos.toml")).unwrap();
    // cargo-leptos calls the output name `name` in the workspace form.
    assert_eq!(build("name"), deploy.output_name.to_string());
    assert_eq!(build("site-pkg-dir"), deploy.site_pkg_dir.to_string());
    assert_eq!(build("hash-files"), deploy.hash_files.to_string());
    assert_eq!(build("site-addr"), deploy.site_addr.to_string());
    assert_eq!(build("reload-port"), deploy.reload_port.to_string());
}

/// A value from the `[[workspace.metadata.leptos]]` table of Cargo.toml, unquoted.
fn build_setting(cargo_toml: &str, key: &str) -> String {
    let start = cargo_toml
        .find("[[workspace.metadata.leptos]]")
        .expect("Cargo.toml has [[workspace.metadata.leptos]]");
    cargo_toml[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| line.split_once('='))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| value.trim().trim_matches('"').to_string())
        .unwrap_or_else(|| panic!("`{key}` missing from [[workspace.metadata.leptos]]"))
}
