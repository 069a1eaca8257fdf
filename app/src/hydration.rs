//! How the browser brings a page to life: only its islands are hydrated.
//!
//! Every page is rendered on the server and works as plain links and forms. The parts
//! that react (the claim area, the key card, the time-zone switch, the projector's
//! figures, the organiser's room) are `#[island]`s: the browser's code holds only them,
//! not the router, the layout or the pages around them. That is what keeps the
//! attendee's first download small (docs/benchmarks.md, "Page weight").

pub mod props;

use leptos::nonce::use_nonce;
use leptos::prelude::*;

/// The scripts in `<head>` that load the bundle and hydrate the islands, replacing
/// Leptos's `HydrationScripts`: ours starts at once rather than on idle, and marks
/// `<body data-hydrated>` when every island (lazy ones included) is hydrated.
#[component]
pub fn IslandScripts(options: LeptosOptions) -> impl IntoView {
    // The rest of the page is rendered without hydration markers: only islands opt in.
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    let (js, wasm) = bundle_names(&options);
    let pkg = format!("/{}", options.site_pkg_dir);
    let nonce = use_nonce();
    let start = format!(
        "{}({pkg:?}, {js:?}, {wasm:?});",
        include_str!("hydration/islands.js")
    );
    view! {
        <link rel="modulepreload" href=format!("{pkg}/{js}.js") crossorigin="" />
        <link rel="preload" href=format!("{pkg}/{wasm}.wasm") r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" nonce=nonce>{start}</script>
    }
}

/// The bundle's JavaScript and wasm file names without extension, as cargo-leptos wrote
/// them: with their content hashes (from the hash file beside the server binary) when
/// `hash-files` is on. The same rule as Leptos's `HydrationScripts`.
fn bundle_names(options: &LeptosOptions) -> (String, String) {
    let mut js = options.output_name.to_string();
    let mut wasm = options.output_name.to_string();
    if options.hash_files {
        let hash_file = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())));
        let hashes = hash_file
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        for (file, hash) in hashes
            .lines()
            .filter_map(|line| line.trim().split_once(':'))
        {
            match file {
                "js" => js = format!("{js}.{}", hash.trim()),
                "wasm" => wasm = format!("{wasm}.{}", hash.trim()),
                _ => {}
            }
        }
    } else if option_env!("LEPTOS_OUTPUT_NAME").is_none() {
        wasm.push_str("_bg");
    }
    (js, wasm)
}
