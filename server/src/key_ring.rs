//! The key ring that seals stored keys (`KEY_ENCRYPTION_KEYS`), at start-up and in its
//! commands:
//!
//! - live mode takes it from the configuration (required); demo mode, given none, keeps
//!   one in `key-encryption-keys` beside its SQLite file (made on first start, mode 0600);
//! - start-up refuses a ring that cannot open what is stored, then seals the keys still
//!   stored in plaintext (rows from before sealing);
//! - `server new-key [ID]` prints a fresh entry; `server rekey` re-seals every stored key
//!   under the ring's first key, after a new one was put first.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use engine::db::Database;
use engine::sealing::KeyRing;

use crate::application::redact_url;
use crate::config::sources::Sources;

/// Demo mode's key file, beside the SQLite database (or in `data/`).
const DEMO_KEY_FILE: &str = "key-encryption-keys";

/// The ring the server seals with: the configured one, or demo mode's own.
pub fn ring_for(
    configured: Option<&KeyRing>,
    demo: bool,
    database_url: &str,
) -> anyhow::Result<KeyRing> {
    match (configured, demo) {
        (Some(ring), _) => Ok(ring.clone()),
        (None, true) => demo_ring(&demo_key_file(database_url)),
        // The configuration refuses live mode without one first.
        (None, false) => anyhow::bail!("KEY_ENCRYPTION_KEYS is required in live mode"),
    }
}

fn demo_key_file(database_url: &str) -> PathBuf {
    let folder = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .and_then(|path| Path::new(path).parent().map(Path::to_path_buf))
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("data"));
    folder.join(DEMO_KEY_FILE)
}

fn demo_ring(file: &Path) -> anyhow::Result<KeyRing> {
    if !file.exists() {
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
        }
        write_private(file, &KeyRing::generate_entry("demo1"))
            .with_context(|| format!("cannot write demo mode's key file {}", file.display()))?;
        tracing::info!(file = %file.display(), "demo mode made its key for sealing stored keys");
    }
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read demo mode's key file {}", file.display()))?;
    KeyRing::parse(text.trim())
        .map_err(|problem| anyhow::anyhow!("{} is not a key ring: {problem}", file.display()))
}

/// Writes `text` readable by its owner only.
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(file)?.write_all(text.as_bytes())
}

/// Start-up: refuses a ring that cannot open the stored keys, then seals any still in
/// plaintext.
pub async fn prepare(database: &Database) -> anyhow::Result<()> {
    database
        .check_key_ring()
        .await
        .map_err(|mismatch| anyhow::anyhow!("{mismatch}"))?;
    let sealed = database
        .seal_plaintext_keys()
        .await
        .context("cannot seal the keys stored in plaintext")?;
    if sealed.attendance + sealed.pool > 0 {
        tracing::info!(
            attendance = sealed.attendance,
            pool = sealed.pool,
            "sealed keys that were stored in plaintext"
        );
    }
    Ok(())
}

/// `server new-key [ID]`: prints a fresh `id:base64` entry for KEY_ENCRYPTION_KEYS.
pub fn new_key(id: Option<&str>) -> ExitCode {
    let id = id.unwrap_or("k1");
    let valid = !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        eprintln!("a key id is 1 to 32 letters, digits, `-` or `_`, not {id:?}");
        return ExitCode::from(2);
    }
    println!("{}", KeyRing::generate_entry(id));
    ExitCode::SUCCESS
}

/// `server rekey`: with a new key first in KEY_ENCRYPTION_KEYS (`new:…,old:…`), re-seals
/// every stored key under it; afterwards the old key can be dropped from the list.
pub async fn rekey() -> ExitCode {
    let _ = dotenvy::dotenv();
    let lookup = |name: &str| std::env::var(name).ok();
    let sources = Sources::new(&lookup);
    let (url, ring) = match (
        sources.secret("DATABASE_URL"),
        sources.secret("KEY_ENCRYPTION_KEYS"),
    ) {
        (Ok(Some(url)), Ok(Some(ring))) => (url, ring),
        (Err(error), _) | (_, Err(error)) => {
            eprintln!("configuration error: {error}");
            return ExitCode::from(2);
        }
        _ => {
            eprintln!("server rekey needs DATABASE_URL and KEY_ENCRYPTION_KEYS (new key first)");
            return ExitCode::from(2);
        }
    };
    let ring = match KeyRing::parse(&ring) {
        Ok(ring) => ring,
        Err(problem) => {
            eprintln!("KEY_ENCRYPTION_KEYS: {problem}");
            return ExitCode::from(2);
        }
    };
    let database = match Database::connect(&url).await {
        Ok(database) => database.with_keys(ring.clone()),
        Err(error) => {
            eprintln!("cannot open the database ({}): {error}", redact_url(&url));
            return ExitCode::from(2);
        }
    };
    match database.rekey().await {
        Ok(report) => {
            println!(
                "re-sealed {} attendee key(s) and {} pool key(s) under `{}`",
                report.attendance,
                report.pool,
                ring.sealing_id()
            );
            database.close().await;
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rekey failed: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_mode_keeps_its_key_beside_its_database() {
        assert_eq!(
            demo_key_file("sqlite://data/workshop-key-minter.db?mode=rwc"),
            PathBuf::from("data/key-encryption-keys")
        );
        assert_eq!(
            demo_key_file("sqlite:///tmp/x/demo.db?mode=rwc"),
            PathBuf::from("/tmp/x/key-encryption-keys")
        );
        assert_eq!(
            demo_key_file("postgres://root@localhost/bench"),
            PathBuf::from("data/key-encryption-keys")
        );
    }

    #[test]
    fn the_demo_key_file_is_made_once_privately_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys");
        let first = demo_ring(&file).unwrap();
        let again = demo_ring(&file).unwrap();
        let sealed = first.seal(b"x", b"c");
        assert_eq!(again.open(&sealed, b"c").unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
