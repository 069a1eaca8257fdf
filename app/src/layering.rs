//! The architecture, checked: which module tree may use which (no import cycles between
//! `app`'s `api`, `components` and `routes`, nor between the engine's mint, its key pool
//! and the layers below them), and a `//!` doc at the top of every
//! module of the workspace saying what it is for. A grep over the sources, run with the
//! unit tests. Between crates the compiler keeps the layers (`wire` ← `engine` ← `app`).

use std::path::{Path, PathBuf};

/// Module trees (crate, tree), and the paths each must never use. Pages and components
/// reach the engine only through the server functions in `api`. In the engine, the key
/// pool and the parts it shares with the mint (guardrail ids, orphan removal, detached
/// work) stay below the mint: the mint uses them, never the other way round; and the
/// database, the OpenRouter client, the leases and the registry sit below both.
const FORBIDDEN: &[(&str, &str, &[&str])] = &[
    ("app", "api", &["crate::components", "crate::routes"]),
    (
        "app",
        "components",
        &["crate::routes", "crate::api::caller", "engine"],
    ),
    ("app", "routes", &["crate::api::caller", "engine"]),
    // How a page comes to life (the island script, island props) sits below the pages
    // and components that use it.
    (
        "app",
        "hydration",
        &["crate::components", "crate::routes", "crate::api"],
    ),
    ("engine", "key_pool", &["crate::mint", "crate::state"]),
    (
        "engine",
        "guardrail",
        &["crate::mint", "crate::key_pool", "crate::state"],
    ),
    (
        "engine",
        "orphans",
        &["crate::mint", "crate::key_pool", "crate::state"],
    ),
    (
        "engine",
        "detached",
        &["crate::mint", "crate::key_pool", "crate::state"],
    ),
    (
        "engine",
        "db",
        &[
            "crate::mint",
            "crate::key_pool",
            "crate::state",
            "crate::guardrail",
        ],
    ),
    (
        "engine",
        "leases",
        &[
            "crate::mint",
            "crate::key_pool",
            "crate::state",
            "crate::guardrail",
        ],
    ),
    (
        "engine",
        "openrouter",
        &[
            "crate::mint",
            "crate::key_pool",
            "crate::state",
            "crate::db",
        ],
    ),
];

/// Whether `line` names the path `path` (`path::…`, `path::{…}` or `path;`), and not
/// merely a longer name ending in it.
fn names_path(line: &str, path: &str) -> bool {
    line.match_indices(path).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = &line[at + path.len()..];
        let starts_a_name = !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
        starts_a_name && (after.starts_with("::") || after.starts_with(';'))
    })
}

fn rust_files(under: &Path) -> Vec<PathBuf> {
    if under.is_file() {
        return vec![under.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(under).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// `src/` of the workspace member `member` (this crate is `app`).
fn member_src(member: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(member)
        .join("src")
}

#[test]
fn no_module_tree_uses_one_above_it() {
    let mut violations = Vec::new();
    for (member, tree, forbidden) in FORBIDDEN {
        let src = member_src(member);
        // `x.rs` and its folder `x/` are one tree; either may be missing.
        let files: Vec<PathBuf> = [src.join(tree), src.join(format!("{tree}.rs"))]
            .iter()
            .filter(|path| path.exists())
            .flat_map(|path| rust_files(path))
            .collect();
        assert!(
            !files.is_empty(),
            "{member}/src/{tree} has no files: a stale rule"
        );
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for (line_number, line) in source.lines().enumerate() {
                for other in *forbidden {
                    if names_path(line, other) {
                        violations.push(format!(
                            "{}:{}: {tree} uses {other}: {}",
                            file.display(),
                            line_number + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn a_path_is_named_only_as_a_whole() {
    assert!(names_path("use engine::db::Attendee;", "engine"));
    assert!(names_path(
        "    let x = engine::state::AppState::new();",
        "engine"
    ));
    assert!(names_path("use crate::routes;", "crate::routes"));
    assert!(!names_path("use my_engine::db;", "engine"));
    assert!(!names_path("// the engine decides", "engine"));
    assert!(!names_path("use crate::api::claims;", "crate::api::caller"));
}

#[test]
fn every_module_says_what_it_is_for() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut undocumented = Vec::new();
    for crate_dir in [
        "app/src",
        "engine/src",
        "wire/src",
        "server/src",
        "openrouter-sim/src",
        "frontend/src",
    ] {
        for file in rust_files(&workspace.join(crate_dir)) {
            let source = std::fs::read_to_string(&file).unwrap();
            if !source.trim_start().starts_with("//!") {
                undocumented.push(file.display().to_string());
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "modules without a //! doc:\n{}",
        undocumented.join("\n")
    );
}

/// Every file of the workspace, as paths relative to its root (without build output,
/// installed packages or git's own folder).
fn workspace_files(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !matches!(
                    name.to_str(),
                    Some("target" | "node_modules" | ".git" | "dist")
                ) {
                    folders.push(path);
                }
            } else if let Ok(relative) = path.strip_prefix(root) {
                files.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files
}

/// The file names a comment line mentions: words ending in a source or document
/// extension, with a folder (`db/leases.rs`) or a document of ours (`architecture.md`).
fn named_files(comment: &str) -> Vec<&str> {
    comment
        .split(|c: char| c.is_whitespace() || "`()[],;:\"'“”".contains(c))
        .map(|word| word.trim_end_matches('.'))
        .filter(|word| {
            let known = [
                ".rs", ".md", ".mjs", ".yaml", ".toml", ".sh", ".sql", ".css",
            ];
            known.iter().any(|extension| word.ends_with(extension))
                && (word.contains('/') || word.ends_with(".md"))
                && !word.contains('*')
                && !word.contains('<')
        })
        .collect()
}

#[test]
fn a_comment_names_only_files_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = workspace_files(&root);
    let exists = |name: &str| {
        files
            .iter()
            .any(|file| file == name || file.ends_with(&format!("/{name}")))
    };
    let mut missing = Vec::new();
    for crate_dir in [
        "app",
        "engine",
        "wire",
        "server",
        "openrouter-sim",
        "frontend",
    ] {
        for file in rust_files(&root.join(crate_dir)) {
            let source = std::fs::read_to_string(&file).unwrap();
            for (line_number, line) in source.lines().enumerate() {
                let Some((_, comment)) = line.split_once("//") else {
                    continue;
                };
                for name in named_files(comment) {
                    if !exists(name) {
                        missing.push(format!("{}:{}: {name}", file.display(), line_number + 1));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "comments naming files that are not in the repository:\n{}",
        missing.join("\n")
    );
}

#[test]
fn file_names_are_found_in_comments() {
    assert_eq!(
        named_files(" see `db/leases.rs` and docs/architecture.md."),
        vec!["db/leases.rs", "docs/architecture.md"]
    );
    assert_eq!(
        named_files(" (design.md, \"The claim\")"),
        vec!["design.md"]
    );
    // A bare module file name or a placeholder is not a reference to check.
    assert!(named_files(" `x.rs` and its folder, `workshops/<slug>.yaml`").is_empty());
}
