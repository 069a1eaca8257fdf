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
