//! The workshop registry: every `workshops/<slug>.yaml`, loaded once at start-up into
//! validated [`Workshop`]s. Loading is all-or-nothing: one bad file refuses the whole
//! folder, with every problem of every file listed, so a bad merge cannot silently take
//! a workshop down. Templates (`*.yaml.template`) are never loaded; [`check_templates`]
//! validates them the same way for `server check`.

mod key_pool_size;
mod problem;
mod workshop_file;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use key_pool_size::KeyPoolSize;
pub use problem::{FileProblem, RegistryError};
pub use workshop_file::{is_valid_slug, parse_workshop_file, Workshop};

use wire::model::WorkshopState;

#[derive(Debug, Clone, Default)]
pub struct Registry {
    workshops: BTreeMap<String, Arc<Workshop>>,
}

impl Registry {
    /// Reads every `*.yaml` / `*.yml` file directly inside `dir`.
    pub fn load_dir(dir: &Path) -> Result<Registry, RegistryError> {
        let entries = std::fs::read_dir(dir).map_err(|error| {
            RegistryError::single(FileProblem::whole_file(
                dir,
                format!("cannot read the workshops folder: {error}"),
            ))
        })?;
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.is_file()
                    && matches!(
                        path.extension().and_then(|e| e.to_str()),
                        Some("yaml") | Some("yml")
                    )
            })
            .collect();
        // Sorted so messages and duplicate detection are the same on every machine.
        paths.sort();

        let mut problems = Vec::new();
        let mut workshops: BTreeMap<String, Arc<Workshop>> = BTreeMap::new();
        let mut sources: BTreeMap<String, String> = BTreeMap::new();
        for path in &paths {
            let source = match std::fs::read_to_string(path) {
                Ok(source) => source,
                Err(error) => {
                    problems.push(FileProblem::whole_file(
                        path,
                        format!("cannot read: {error}"),
                    ));
                    continue;
                }
            };
            match parse_workshop_file(path, &source) {
                Ok(workshop) => {
                    let shown = path.display().to_string();
                    if let Some(first) = sources.get(&workshop.slug) {
                        problems.push(FileProblem::whole_file(
                            path,
                            format!(
                                "duplicate slug `{}`: {first} already defines it",
                                workshop.slug
                            ),
                        ));
                        continue;
                    }
                    sources.insert(workshop.slug.clone(), shown);
                    workshops.insert(workshop.slug.clone(), Arc::new(workshop));
                }
                Err(mut file_problems) => problems.append(&mut file_problems),
            }
        }
        if problems.is_empty() {
            Ok(Registry { workshops })
        } else {
            Err(RegistryError::new(problems))
        }
    }

    pub fn from_workshops(list: impl IntoIterator<Item = Workshop>) -> Registry {
        Registry {
            workshops: list
                .into_iter()
                .map(|workshop| (workshop.slug.clone(), Arc::new(workshop)))
                .collect(),
        }
    }

    /// Every workshop, listed or not, by slug.
    pub fn all(&self) -> Vec<Arc<Workshop>> {
        self.workshops.values().cloned().collect()
    }

    pub fn get(&self, slug: &str) -> Option<Arc<Workshop>> {
        self.workshops.get(slug).cloned()
    }

    pub fn len(&self) -> usize {
        self.workshops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.workshops.is_empty()
    }

    /// Open workshops first, then upcoming by opening time, then closed, most recent first.
    pub fn listed(&self, now: DateTime<Utc>) -> Vec<Arc<Workshop>> {
        let mut list: Vec<_> = self.workshops.values().cloned().collect();
        list.sort_by_key(|workshop| {
            let state = workshop.state_at(now);
            let rank = match state {
                WorkshopState::Open => 0,
                WorkshopState::Upcoming => 1,
                WorkshopState::Closed => 2,
            };
            let time = match state {
                WorkshopState::Closed => -workshop.claims_close_at.timestamp(),
                _ => workshop.claims_open_at.timestamp(),
            };
            (rank, time, workshop.slug.clone())
        });
        list
    }
}

/// The ending of a template file: a workshop file that is never loaded.
pub const TEMPLATE_SUFFIX: &str = ".yaml.template";

/// Validates every template in `dir` as if it were a workshop file; returns how many
/// there are. Templates are not workshops, so their slugs may repeat real ones.
pub fn check_templates(dir: &Path) -> Result<usize, RegistryError> {
    let mut problems = Vec::new();
    let mut count = 0;
    let entries = std::fs::read_dir(dir).map_err(|error| {
        RegistryError::single(FileProblem::whole_file(
            dir,
            format!("cannot read the workshops folder: {error}"),
        ))
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.is_file()
                && path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.ends_with(TEMPLATE_SUFFIX))
        })
        .collect();
    paths.sort();
    for path in paths {
        count += 1;
        match std::fs::read_to_string(&path) {
            Ok(source) => {
                if let Err(mut file_problems) = parse_workshop_file(&path, &source) {
                    problems.append(&mut file_problems);
                }
            }
            Err(error) => problems.push(FileProblem::whole_file(
                &path,
                format!("cannot read: {error}"),
            )),
        }
    }
    if problems.is_empty() {
        Ok(count)
    } else {
        Err(RegistryError::new(problems))
    }
}

#[cfg(test)]
mod tests;
