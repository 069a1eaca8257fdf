//! Queries on `key_pool` (the warm pool's keys not yet handed out) and
//! `key_pool_state`; the hand-out itself is part of the reservation (`attendance`).

use std::collections::HashSet;

use super::stored_keys::{pool_context, stored_label, StoredKey};
use super::{Backend, Database, DbError};
use crate::secret::Secret;

/// A pool key OpenRouter has just created, to be stored before anything else happens.
#[derive(Debug, Clone, Copy)]
pub struct NewPoolKey<'a> {
    pub workshop_slug: &'a str,
    pub key_name: &'a str,
    pub hash: &'a str,
    pub plaintext: &'a Secret,
    pub label: &'a str,
    pub limit_usd_micros: i64,
    pub expires_at: i64,
    pub now: i64,
}

/// The keys a workshop's pool holds that match its current per-key limit and expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolCounts {
    /// Bound to the guardrail: what a claim can take.
    pub ready: i64,
    /// Stored, not yet bound.
    pub unbound: i64,
}

/// What the close of a workshop's window did to its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolClosure {
    pub keys_deleted: i64,
    pub closed_at: i64,
}

/// What the database remembers of a workshop's pool besides its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolState {
    /// Pool keys may exist on OpenRouter that the database does not hold.
    pub unsettled: bool,
    pub closure: Option<PoolClosure>,
}

/// A handed-out pool key whose OpenRouter name is still the pool's.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingRename {
    pub or_key_hash: String,
    pub key_name: String,
}

/// The columns a claim copies from the pool key it takes.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct TakenPoolKey {
    pub key_hash: String,
    pub key_name: String,
    pub key_plaintext: StoredKey,
    pub key_label: String,
    pub guardrail_id: String,
}

impl Database {
    pub async fn store_pool_key(&self, key: &NewPoolKey<'_>) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO key_pool (key_hash, workshop_slug, key_name, key_plaintext, key_label,
                 limit_usd_micros, expires_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(key.hash)
        .bind(key.workshop_slug)
        .bind(key.key_name)
        .bind(self.seal(key.plaintext, &pool_context(key.hash))?)
        .bind(stored_label(key.label))
        .bind(key.limit_usd_micros)
        .bind(key.expires_at)
        .bind(key.now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ready and unbound keys of the pool made with this limit and expiry.
    pub async fn pool_counts(
        &self,
        workshop_slug: &str,
        limit_usd_micros: i64,
        expires_at: i64,
    ) -> Result<PoolCounts, DbError> {
        let (ready, unbound): (i64, i64) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN guardrail_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN guardrail_id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM key_pool WHERE workshop_slug = $1 AND limit_usd_micros = $2 AND expires_at = $3",
        )
        .bind(workshop_slug)
        .bind(limit_usd_micros)
        .bind(expires_at)
        .fetch_one(&self.pool)
        .await?;
        Ok(PoolCounts { ready, unbound })
    }

    /// Hashes of the pool's stored keys not yet bound to the guardrail.
    pub async fn unbound_pool_keys(&self, workshop_slug: &str) -> Result<Vec<String>, DbError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT key_hash FROM key_pool WHERE workshop_slug = $1 AND guardrail_id IS NULL
             ORDER BY created_at, key_hash",
        )
        .bind(workshop_slug)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(hash,)| hash).collect())
    }

    /// Marks pool keys as assigned to the guardrail: from now on claims can take them.
    pub async fn mark_pool_keys_bound(
        &self,
        key_hashes: &[String],
        guardrail_id: &str,
    ) -> Result<u64, DbError> {
        let mut bound = 0;
        let mut transaction = self.pool.begin().await?;
        for hash in key_hashes {
            bound += sqlx::query(
                "UPDATE key_pool SET guardrail_id = $2 WHERE key_hash = $1 AND guardrail_id IS NULL",
            )
            .bind(hash)
            .bind(guardrail_id)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        }
        transaction.commit().await?;
        Ok(bound)
    }

    /// Removes from the pool, so no claim can take them any more, the keys that do not
    /// match the workshop's current limit and expiry and, newest first, those above
    /// `keep` (the pool's target). Returns their hashes: the caller deletes them on
    /// OpenRouter. A key a claim is taking at this moment is not among them.
    pub async fn withdraw_pool_surplus(
        &self,
        workshop_slug: &str,
        limit_usd_micros: i64,
        expires_at: i64,
        keep: i64,
    ) -> Result<Vec<String>, DbError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT key_hash, limit_usd_micros, expires_at FROM key_pool WHERE workshop_slug = $1
             ORDER BY CASE WHEN guardrail_id IS NULL THEN 1 ELSE 0 END, created_at, key_hash",
        )
        .bind(workshop_slug)
        .fetch_all(&self.pool)
        .await?;
        let mut kept = 0;
        let mut surplus = Vec::new();
        for (hash, limit, expires) in rows {
            if limit == limit_usd_micros && expires == expires_at && kept < keep {
                kept += 1;
            } else {
                surplus.push(hash);
            }
        }
        self.withdraw_pool_keys(&surplus).await
    }

    /// Removes every key of the workshop's pool (its window closed). Returns their hashes.
    pub async fn withdraw_whole_pool(&self, workshop_slug: &str) -> Result<Vec<String>, DbError> {
        let rows: Vec<(String,)> =
            sqlx::query_as("DELETE FROM key_pool WHERE workshop_slug = $1 RETURNING key_hash")
                .bind(workshop_slug)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(hash,)| hash).collect())
    }

    /// Deletes these pool rows; returns the hashes of those that were still there.
    async fn withdraw_pool_keys(&self, key_hashes: &[String]) -> Result<Vec<String>, DbError> {
        let mut withdrawn = Vec::new();
        for hash in key_hashes {
            let deleted = sqlx::query("DELETE FROM key_pool WHERE key_hash = $1")
                .bind(hash)
                .execute(&self.pool)
                .await?;
            if deleted.rows_affected() == 1 {
                withdrawn.push(hash.clone());
            }
        }
        Ok(withdrawn)
    }

    /// Of these key hashes, the ones the database holds: in the pool or on a claim.
    pub async fn stored_key_hashes(
        &self,
        key_hashes: &[String],
    ) -> Result<HashSet<String>, DbError> {
        let mut stored = HashSet::new();
        for hash in key_hashes {
            let (count,): (i64,) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM key_pool WHERE key_hash = $1)
                      + (SELECT COUNT(*) FROM workshop_attendance WHERE or_key_hash = $1)",
            )
            .bind(hash)
            .fetch_one(&self.pool)
            .await?;
            if count > 0 {
                stored.insert(hash.clone());
            }
        }
        Ok(stored)
    }

    /// Handed-out pool keys still carrying their pool name on OpenRouter, oldest first.
    pub async fn pending_renames(&self, limit: i64) -> Result<Vec<PendingRename>, DbError> {
        Ok(sqlx::query_as(
            "SELECT or_key_hash, key_name FROM workshop_attendance
             WHERE pool_key_name IS NOT NULL AND or_key_hash IS NOT NULL
             ORDER BY updated_at, user_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The key now carries its attendee's name on OpenRouter.
    pub async fn mark_renamed(&self, key_hash: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE workshop_attendance SET pool_key_name = NULL WHERE or_key_hash = $1")
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Adds `keys_deleted` to the workshop's close record, creating it the first time.
    pub async fn record_pool_closure(
        &self,
        workshop_slug: &str,
        keys_deleted: i64,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO key_pool_state (workshop_slug, closed_at, keys_deleted_at_close) VALUES ($1, $3, $2)
             ON CONFLICT (workshop_slug) DO UPDATE
             SET closed_at = COALESCE(key_pool_state.closed_at, $3),
                 keys_deleted_at_close = COALESCE(key_pool_state.keys_deleted_at_close, 0) + $2",
        )
        .bind(workshop_slug)
        .bind(keys_deleted)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks whether pool keys may exist on OpenRouter that the database does not hold.
    pub async fn set_pool_unsettled(
        &self,
        workshop_slug: &str,
        unsettled: bool,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO key_pool_state (workshop_slug, unsettled) VALUES ($1, $2)
             ON CONFLICT (workshop_slug) DO UPDATE SET unsettled = $2",
        )
        .bind(workshop_slug)
        .bind(i64::from(unsettled))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The workshop's pool state; the default (settled, never closed) when it has none.
    pub async fn pool_state(&self, workshop_slug: &str) -> Result<PoolState, DbError> {
        let row: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT unsettled, closed_at, keys_deleted_at_close FROM key_pool_state WHERE workshop_slug = $1",
        )
        .bind(workshop_slug)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => PoolState::default(),
            Some((unsettled, closed_at, keys_deleted)) => PoolState {
                unsettled: unsettled == 1,
                closure: closed_at.map(|closed_at| PoolClosure {
                    keys_deleted: keys_deleted.unwrap_or(0),
                    closed_at,
                }),
            },
        })
    }

    /// The pool's rows and its close, folded into one number for the admin page's change
    /// mark: moves when a key is added, bound, handed out or deleted.
    pub async fn pool_mark(&self, workshop_slug: &str) -> Result<i64, DbError> {
        let (mark,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN guardrail_id IS NULL THEN 1 ELSE 1000000 END), 0) AS BIGINT)
                  + CAST(COALESCE((SELECT keys_deleted_at_close + 1 FROM key_pool_state WHERE workshop_slug = $1), 0) AS BIGINT) * 1000000000000
             FROM key_pool WHERE workshop_slug = $1",
        )
        .bind(workshop_slug)
        .fetch_one(&self.pool)
        .await?;
        Ok(mark)
    }

    /// Whether the workshop's pool holds any key at all, whatever its limit or state.
    pub async fn pool_is_empty(&self, workshop_slug: &str) -> Result<bool, DbError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM key_pool WHERE workshop_slug = $1")
                .bind(workshop_slug)
                .fetch_one(&self.pool)
                .await?;
        Ok(count == 0)
    }
}

/// Inside a claim's transaction (which holds the workshop's lock row): takes the oldest
/// ready pool key made with the workshop's current limit and expiry, and removes it from
/// the pool. Postgres skips rows another transaction has locked (a withdrawal at the
/// window's close); SQLite's write lock already keeps everyone else out.
pub(super) async fn take_ready_pool_key(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    workshop_slug: &str,
    limit_usd_micros: i64,
    expires_at: i64,
) -> Result<Option<TakenPoolKey>, sqlx::Error> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT key_hash, key_name, key_plaintext, key_label, guardrail_id FROM key_pool
         WHERE workshop_slug = $1 AND guardrail_id IS NOT NULL
           AND limit_usd_micros = $2 AND expires_at = $3
         ORDER BY created_at, key_hash LIMIT 1{lock}"
    );
    let taken: Option<TakenPoolKey> = sqlx::query_as(&sql)
        .bind(workshop_slug)
        .bind(limit_usd_micros)
        .bind(expires_at)
        .fetch_optional(&mut **transaction)
        .await?;
    if let Some(key) = &taken {
        sqlx::query("DELETE FROM key_pool WHERE key_hash = $1")
            .bind(&key.key_hash)
            .execute(&mut **transaction)
            .await?;
    }
    Ok(taken)
}
