//! `server check [FOLDER…]`: the same validation the server runs at start-up, for a PR,
//! plus the templates (`*.yaml.template`) the server never loads. `make check` passes
//! the organisation's `workshops/` and the demo's samples.

use std::path::Path;
use std::process::ExitCode;

use engine::registry::{check_templates, Registry};

use crate::config::LIVE_WORKSHOPS_DIR;

pub fn run(folders: &[String]) -> ExitCode {
    let folders: Vec<&str> = if folders.is_empty() {
        vec![LIVE_WORKSHOPS_DIR]
    } else {
        folders.iter().map(String::as_str).collect()
    };
    let mut ok = true;
    for folder in folders {
        let path = Path::new(folder);
        let workshops = Registry::load_dir(path);
        let templates = check_templates(path);
        match (&workshops, &templates) {
            (Ok(registry), Ok(templates)) => println!(
                "{folder}: {} workshop file(s){}, all valid",
                registry.len(),
                match templates {
                    0 => String::new(),
                    1 => " and 1 template".to_string(),
                    n => format!(" and {n} templates"),
                }
            ),
            _ => ok = false,
        }
        let workshop_problems = workshops.err().map(|error| error.to_string());
        if let Some(problems) = &workshop_problems {
            eprint!("{problems}");
        }
        // An unreadable folder is one problem, not one per kind of file.
        if let Err(error) = templates {
            if workshop_problems.as_deref() != Some(error.to_string().as_str()) {
                eprint!("{error}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
