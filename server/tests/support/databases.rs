//! A fresh database per test: a SQLite file in a temporary folder, or a new database in
//! the Postgres server named by `TEST_POSTGRES_URL` (default the local one), dropped after.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AnyPool, Executor};

pub enum FreshDatabase {
    Sqlite(tempfile::TempDir, String),
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl FreshDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
        FreshDatabase::Sqlite(dir, url)
    }

    pub async fn postgres() -> Self {
        sqlx::any::install_default_drivers();
        let admin_url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".to_string());
        let name = format!(
            "wkm_srv_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin = AnyPool::connect(&admin_url)
            .await
            .expect("Postgres must be reachable for the tests");
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
        let url = format!("{base}/{name}");
        FreshDatabase::Postgres {
            admin_url,
            name,
            url,
        }
    }

    pub fn url(&self) -> &str {
        match self {
            FreshDatabase::Sqlite(_, url) => url,
            FreshDatabase::Postgres { url, .. } => url,
        }
    }

    /// Drops a Postgres test database (call at the end of the test).
    pub async fn drop_database(self) {
        if let FreshDatabase::Postgres {
            admin_url, name, ..
        } = self
        {
            let admin = AnyPool::connect(&admin_url).await.unwrap();
            admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
            admin.close().await;
        }
    }
}

/// Runs `$body(database_url)` as two tests, `$name::sqlite` and `$name::postgres`, each
/// on a fresh database.
#[allow(unused_macros)] // not every test binary that includes this module uses it
macro_rules! on_both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let fresh = FreshDatabase::sqlite();
                ($body)(fresh.url().to_string()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let fresh = FreshDatabase::postgres().await;
                ($body)(fresh.url().to_string()).await;
                fresh.drop_database().await;
            }
        }
    };
}
