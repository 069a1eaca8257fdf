//! Cargo.toml's `[[workspace.metadata.leptos]]` configures the build; Leptos.toml the
//! deployed binary. The names they share must agree, or a deployed server would look
//! for files the build never wrote.

use leptos::config::get_config_from_str;

#[test]
fn leptos_toml_agrees_with_the_build_settings() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let read = |name: &str| std::fs::read_to_string(format!("{root}/{name}")).unwrap();
    let build = get_config_from_str(&read("Cargo.toml")).unwrap();
    let deploy = get_config_from_str(&read("Leptos.toml")).unwrap();
    assert_eq!(build.output_name, deploy.output_name);
    assert_eq!(build.site_pkg_dir, deploy.site_pkg_dir);
    assert_eq!(build.hash_files, deploy.hash_files);
}
