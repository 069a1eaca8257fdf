//! The database: connection pool, migrations, and (in the submodules) every query the
//! app runs. Nothing outside this module tree writes SQL.
//!
//! SQLite and Postgres are served by one set of queries through sqlx's `Any` driver:
//! columns are plain `TEXT` and `BIGINT` (UTC unix seconds, micro-dollars), and
//! placeholders are `$n`, which both databases accept.

mod admin;
mod attendance;
mod attendees;
mod claim_state;
mod guardrails;
mod key_pool;
mod leases;
mod minting;
pub mod row_status;
mod server_secrets;
mod sessions;
mod stored_keys;
mod top_ups;
mod usage;
mod workshop_versions;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use crate::sealing::KeyRing;

pub use admin::{
    AdminRow, ClaimsPageQuery, FigureCounts, OptIn, ORDER_LEAST_SPENT, ORDER_MOST_SPENT,
    ORDER_NEWEST, ORDER_OLDEST,
};
pub use attendance::{Attendance, NewReservation, ReserveOutcome};
pub use attendees::{Attendee, SignedInAttendee};
pub use claim_state::ClaimState;
pub use guardrails::GuardrailRecord;
pub use key_pool::{NewPoolKey, PendingRename, PoolClosure, PoolCounts, PoolState};
pub use leases::BackgroundLease;
pub use minting::{MintLease, MintedKey};
pub use stored_keys::{shown_label, KeyError, KeyRingMismatch, SealReport, StoredKey};
pub use top_ups::{NewTopUp, TopUp, TopUpReservation};
pub use usage::KeyFigures;
pub use wire::model::ClaimStatus;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported DATABASE_URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("cannot create the folder for the SQLite file: {0}")]
    DataFolder(#[source] std::io::Error),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("no key ring to seal or open stored keys with (KEY_ENCRYPTION_KEYS)")]
    NoKeyRing,
    #[error("a stored key does not open: {0}")]
    StoredKey(#[from] stored_keys::KeyError),
}

/// The one conversion of a database failure into what a caller sees: the cause is
/// logged here, inside the request's span (which names the request and the workshop),
/// and the browser gets a plain "something went wrong".
impl From<DbError> for wire::error::AppError {
    fn from(error: DbError) -> Self {
        tracing::error!(%error, "database error");
        wire::error::AppError::Internal
    }
}

/// A cheap-to-clone handle on the pool, with the key ring that seals the keys it stores
/// (see [`stored_keys`]).
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    keys: Option<KeyRing>,
}

impl Database {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and runs the
    /// migrations for that database.
    /// Connects without touching the schema (`MIGRATE_ON_START=false`).
    pub async fn connect_without_migrating(url: &str) -> Result<Database, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        if backend == Backend::Sqlite {
            create_sqlite_folder(url)?;
        }
        let options: AnyConnectOptions = url.parse()?;
        let pool = AnyPoolOptions::new()
            // SQLite has one writer; a small pool avoids piling up on its lock.
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed during a write; the busy timeout makes
                        // concurrent writers queue instead of failing with SQLITE_BUSY.
                        connection
                            .execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Database {
            pool,
            backend,
            keys: None,
        })
    }

    /// This handle with the key ring every stored key is sealed with; without one, any
    /// write or read of a key is refused ([`DbError::NoKeyRing`]).
    pub fn with_keys(mut self, keys: KeyRing) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Connects and runs the migrations this build knows that are not applied yet.
    pub async fn connect(url: &str) -> Result<Database, DbError> {
        let database = Database::connect_without_migrating(url).await?;
        database.migrate().await?;
        Ok(database)
    }

    /// Runs the migrations not applied yet (`server migrate`, and every start unless
    /// `MIGRATE_ON_START=false`).
    pub async fn migrate(&self) -> Result<(), DbError> {
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// How many of this build's migrations the database has not applied (readiness:
    /// an instance started with `MIGRATE_ON_START=false` before `server migrate` ran).
    pub async fn pending_migrations(&self) -> Result<usize, DbError> {
        let applied: Vec<(i64,)> =
            match sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.pool)
                .await
            {
                Ok(applied) => applied,
                // No bookkeeping table: nothing has been applied.
                Err(sqlx::Error::Database(_)) => Vec::new(),
                Err(error) => return Err(error.into()),
            };
        let applied: std::collections::HashSet<i64> =
            applied.into_iter().map(|(version,)| version).collect();
        Ok(self
            .migrator()
            .iter()
            .filter(|migration| !applied.contains(&migration.version))
            .count())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Health check: one round trip.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Writes the lock row `key` as the first statement of `transaction`, which serialises
/// every transaction taking the same key until it ends: a row lock on Postgres, the
/// database write lock on SQLite. Claims lock on the workshop slug. Such a transaction
/// never spans a network call: it is held for a few statements only.
async fn take_lock_row(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO workshop_claim_locks (workshop_slug, claims_made) VALUES ($1, 0)
         ON CONFLICT (workshop_slug) DO UPDATE SET claims_made = workshop_claim_locks.claims_made",
    )
    .bind(key)
    .execute(&mut **transaction)
    .await?;
    Ok(())
}

fn create_sqlite_folder(url: &str) -> Result<(), DbError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(DbError::DataFolder)?;
    }
    Ok(())
}
