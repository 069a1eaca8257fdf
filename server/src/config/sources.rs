//! Where each setting is read from. Plain settings come from the environment (and the
//! optional `.env` file); secrets may also come from a file named by `NAME_FILE` (a
//! mounted secret) or from `$CREDENTIALS_DIRECTORY/NAME` (systemd's `LoadCredential=`).
//! A secret given in two places is refused: which one wins would be a guess.

use std::path::{Path, PathBuf};

use super::ConfigError;

/// The settings that may come from a file: anything that would hand over the
/// deployment if it leaked. `DATABASE_URL` is one (it may carry a password).
pub const SECRET_VARIABLES: [&str; 5] = [
    "OPENROUTER_MANAGEMENT_KEY",
    "GOOGLE_CLIENT_SECRET",
    "GITHUB_CLIENT_SECRET",
    "DATABASE_URL",
    "KEY_ENCRYPTION_KEYS",
];

/// The variables of one start-up, read through `lookup` (the environment, or a map in
/// tests).
pub struct Sources<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Sources<'a> {
    pub fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Sources { lookup }
    }

    /// A plain setting, trimmed; unset and empty are the same.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|value| value.trim().to_string())
            .filter(|value| !value.is_empty())
    }

    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A secret from the environment, `NAME_FILE` or the systemd credential `NAME`:
    /// at most one of them. A file that cannot be read, or is empty, is an error (a
    /// secret mount that failed must not look like "not configured").
    pub fn secret(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let mut found: Vec<(String, String)> = Vec::new();
        if let Some(value) = self.get(name) {
            found.push((format!("the environment variable {name}"), value));
        }
        let file_variable = format!("{name}_FILE");
        if let Some(path) = self.get(&file_variable) {
            let value = read_secret_file(name, &file_variable, Path::new(&path))?;
            found.push((file_variable.clone(), value));
        }
        if let Some(directory) = self.get("CREDENTIALS_DIRECTORY") {
            let path = PathBuf::from(directory).join(name);
            if path.exists() {
                let value = read_secret_file(name, "the systemd credential", &path)?;
                found.push((format!("the systemd credential {name}"), value));
            }
        }
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop().map(|(_, value)| value)),
            _ => Err(ConfigError::SecretTwice {
                name,
                places: found
                    .into_iter()
                    .map(|(place, _)| place)
                    .collect::<Vec<_>>()
                    .join(" and "),
            }),
        }
    }

    /// Whether a secret is given anywhere (for refusals that must not read it twice).
    pub fn secret_is_set(&self, name: &'static str) -> Result<bool, ConfigError> {
        self.secret(name).map(|value| value.is_some())
    }
}

fn read_secret_file(name: &'static str, via: &str, path: &Path) -> Result<String, ConfigError> {
    let unreadable = |reason: String| ConfigError::SecretFile {
        name,
        via: via.to_string(),
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|error| unreadable(error.to_string()))?;
    // Files written by `echo` or an editor end with a newline that is not the secret's.
    let value = text.trim();
    if value.is_empty() {
        return Err(unreadable("it is empty".into()));
    }
    Ok(value.to_string())
}
