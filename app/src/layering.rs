//! The architecture, checked: which module tree may use which (no import cycles between
//! `model`, `api`, `server`, `components` and `routes`), and a `//!` doc at the top of
//! every module of the workspace saying what it is for. A grep over the sources, run
//! with the unit tests.

use std::path::{Path, PathBuf};

/// Module trees of this crate, and the `crate::…` trees each must never use.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("model", &["api", "server", "components", "routes"]),
    ("error.rs", &["api", "server", "components", "routes"]),
    ("local_path.rs", &["api", "server", "components", "routes"]),
    ("api", &["components", "routes"]),
    ("server", &["api", "components", "routes"]),
    ("components", &["routes", "server"]),
];

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

fn crate_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_tree_uses_one_above_it() {
    let mut violations = Vec::new();
    for (tree, forbidden) in FORBIDDEN {
        let root = crate_src().join(tree);
        let mut files = rust_files(&root);
        // `x.rs` and its folder `x/` are one tree.
        if !tree.ends_with(".rs") {
            files.extend(rust_files(&crate_src().join(format!("{tree}.rs"))));
        }
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for (line_number, line) in source.lines().enumerate() {
                for other in *forbidden {
                    if line.contains(&format!("crate::{other}::"))
                        || line.contains(&format!("crate::{other}}}"))
                        || line.contains(&format!("crate::{other};"))
                    {
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
fn every_module_says_what_it_is_for() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut undocumented = Vec::new();
    for crate_dir in [
        "app/src",
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
