//! A fresh database per test: a SQLite file in a temporary folder, or a new database in
//! the Postgres server named by `TEST_POSTGRES_URL` (default the local one). The one
//! helper every database test of this binary uses. Dropping it removes the database,
//! also when the test panicked, so a failing run leaves nothing behind.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AnyPool, Executor};

pub struct FreshDatabase {
    url: String,
    place: Place,
}

enum Place {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".to_string())
}

impl FreshDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
        FreshDatabase {
            url,
            place: Place::Sqlite(dir),
        }
    }

    pub async fn postgres() -> Self {
        sqlx::any::install_default_drivers();
        let admin_url = postgres_admin_url();
        let name = format!(
            "wkm_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin = AnyPool::connect(&admin_url)
            .await
            .expect("Postgres must be reachable for the tests (TEST_POSTGRES_URL)");
        admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await
            .unwrap();
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        admin.close().await;
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        FreshDatabase {
            url: format!("{base}/{name}"),
            place: Place::Postgres { admin_url, name },
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let Place::Postgres { admin_url, name } = &self.place else {
            return; // the temporary folder removes itself
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with
        // a runtime of its own can, and joining it keeps the cleanup inside the test.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let admin = AnyPool::connect(&admin_url).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await;
                Ok::<_, sqlx::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop the test database {}", self.url);
        }
    }
}

/// Runs `$body(database_url)` as two tests, `$name::sqlite` and `$name::postgres`, each
/// on a fresh database that is dropped afterwards, whatever the outcome.
macro_rules! on_both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let fresh = $crate::support::databases::FreshDatabase::sqlite();
                ($body)(fresh.url().to_string()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let fresh = $crate::support::databases::FreshDatabase::postgres().await;
                ($body)(fresh.url().to_string()).await;
            }
        }
    };
}
