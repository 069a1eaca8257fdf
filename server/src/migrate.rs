//! `server migrate`: applies this build's database migrations to `DATABASE_URL` (also
//! from `DATABASE_URL_FILE` or a systemd credential) and exits — for deploys that
//! migrate as a step of their own and start instances with `MIGRATE_ON_START=false`.
//!
//! Schema changes across a rolling deploy are expand/contract: a release only adds
//! (tables, nullable columns, indexes) what its code needs, while the previous release's
//! instances keep running against the same schema; what the old code used is dropped by
//! a later release, once no instance of the old one is left (see docs/operations.md).

use std::process::ExitCode;

use engine::db::Database;

use crate::application::redact_url;
use crate::config::sources::Sources;

pub async fn run() -> ExitCode {
    let _ = dotenvy::dotenv();
    let lookup = |name: &str| std::env::var(name).ok();
    let sources = Sources::new(&lookup);
    let url = match sources.secret("DATABASE_URL") {
        Ok(Some(url)) => url,
        Ok(None) => {
            eprintln!("server migrate needs DATABASE_URL (the database to migrate)");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    let database = match Database::connect_without_migrating(&url).await {
        Ok(database) => database,
        Err(error) => {
            eprintln!("cannot open the database ({}): {error}", redact_url(&url));
            return ExitCode::from(2);
        }
    };
    let pending = database.pending_migrations().await.unwrap_or(0);
    match database.migrate().await {
        Ok(()) => {
            println!(
                "{}: {pending} migration(s) applied; the schema is this build's",
                redact_url(&url)
            );
            database.close().await;
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("migration failed on {}: {error}", redact_url(&url));
            ExitCode::FAILURE
        }
    }
}
