//! Queries on `key_top_ups`: an organiser's top-up of one key, reserved under the
//! workshop's claim lock (so top-ups and claims together never commit more than the
//! cap), then applied or released once OpenRouter answered; the rows are the audit trail.

use super::{take_lock_row, Database, DbError};

/// A top-up about to be reserved.
#[derive(Debug, Clone)]
pub struct NewTopUp<'a> {
    pub workshop_slug: &'a str,
    pub user_id: &'a str,
    pub add_usd_micros: i64,
    pub workshop_cap_usd_micros: i64,
    /// The most a key may reach (`max_key_limit_usd`); `None`: no limit but the cap.
    pub max_key_limit_usd_micros: Option<i64>,
    pub topped_up_by: &'a str,
    pub now: i64,
}

/// A reserved top-up, to apply once OpenRouter has the new limit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TopUp {
    pub id: String,
    pub workshop_slug: String,
    pub user_id: String,
    pub key_hash: String,
    pub added_usd_micros: i64,
    pub limit_before_micros: i64,
    pub limit_after_micros: i64,
    pub state: String,
    pub topped_up_by: String,
    pub created_at: i64,
    pub settled_at: Option<i64>,
}

/// What reserving a top-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopUpReservation {
    Reserved(TopUp),
    /// The workshop's cap would be passed: this much is left to commit.
    OverCap {
        left_usd_micros: i64,
    },
    /// The key would pass `max_key_limit_usd`: this much more is allowed.
    OverKeyMaximum {
        allowed_usd_micros: i64,
    },
    /// The row has no key to top up (not claimed, or not minted yet).
    NoKey,
    /// Another top-up of this key is on its way to OpenRouter.
    Busy,
}

const TOP_UP_COLUMNS: &str = "id, workshop_slug, user_id, key_hash, added_usd_micros, \
     limit_before_micros, limit_after_micros, state, topped_up_by, created_at, settled_at";

impl Database {
    /// Reserves `top_up` in one transaction under the workshop's claim lock: the cap
    /// counts every key's limit plus the top-ups still on their way.
    pub async fn reserve_top_up(&self, top_up: &NewTopUp<'_>) -> Result<TopUpReservation, DbError> {
        let mut transaction = self.pool.begin().await?;
        take_lock_row(&mut transaction, top_up.workshop_slug).await?;
        let row: Option<(Option<String>, i64)> = sqlx::query_as(
            "SELECT or_key_hash, limit_usd_micros FROM workshop_attendance
             WHERE workshop_slug = $1 AND user_id = $2",
        )
        .bind(top_up.workshop_slug)
        .bind(top_up.user_id)
        .fetch_optional(&mut *transaction)
        .await?;
        let Some((Some(key_hash), limit)) = row else {
            transaction.rollback().await?;
            return Ok(TopUpReservation::NoKey);
        };
        let (pending_for_key,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM key_top_ups
             WHERE workshop_slug = $1 AND user_id = $2 AND state = 'reserved'",
        )
        .bind(top_up.workshop_slug)
        .bind(top_up.user_id)
        .fetch_one(&mut *transaction)
        .await?;
        if pending_for_key > 0 {
            transaction.rollback().await?;
            return Ok(TopUpReservation::Busy);
        }
        let committed = committed_usd_micros(&mut transaction, top_up.workshop_slug).await?;
        let left = top_up.workshop_cap_usd_micros - committed;
        if top_up.add_usd_micros > left {
            transaction.rollback().await?;
            return Ok(TopUpReservation::OverCap {
                left_usd_micros: left.max(0),
            });
        }
        if let Some(max) = top_up.max_key_limit_usd_micros {
            if limit + top_up.add_usd_micros > max {
                transaction.rollback().await?;
                return Ok(TopUpReservation::OverKeyMaximum {
                    allowed_usd_micros: (max - limit).max(0),
                });
            }
        }
        let sql = format!(
            "INSERT INTO key_top_ups (id, workshop_slug, user_id, key_hash, added_usd_micros,
                 limit_before_micros, limit_after_micros, state, topped_up_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'reserved', $8, $9)
             RETURNING {TOP_UP_COLUMNS}"
        );
        let reserved: TopUp = sqlx::query_as(&sql)
            .bind(crate::session::new_token())
            .bind(top_up.workshop_slug)
            .bind(top_up.user_id)
            .bind(&key_hash)
            .bind(top_up.add_usd_micros)
            .bind(limit)
            .bind(limit + top_up.add_usd_micros)
            .bind(top_up.topped_up_by)
            .bind(top_up.now)
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(TopUpReservation::Reserved(reserved))
    }

    /// OpenRouter has the new limit: the key's row takes it. Idempotent: a top-up already
    /// settled changes nothing (returns `false`).
    pub async fn apply_top_up(&self, id: &str, now: i64) -> Result<bool, DbError> {
        let mut transaction = self.pool.begin().await?;
        // The write first: on SQLite a transaction that reads, then writes, can be
        // refused the write lock when another writer went in between.
        let top_up: Option<TopUp> = sqlx::query_as(&format!(
            "UPDATE key_top_ups SET state = 'applied', settled_at = $2
             WHERE id = $1 AND state = 'reserved' RETURNING {TOP_UP_COLUMNS}"
        ))
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(top_up) = top_up else {
            transaction.rollback().await?;
            return Ok(false);
        };
        sqlx::query(
            "UPDATE workshop_attendance
             SET limit_usd_micros = $3, topped_up_usd_micros = topped_up_usd_micros + $4,
                 limit_remaining_usd_micros = CASE WHEN limit_remaining_usd_micros IS NULL THEN NULL
                     ELSE limit_remaining_usd_micros + $4 END,
                 updated_at = $5
             WHERE workshop_slug = $1 AND user_id = $2",
        )
        .bind(&top_up.workshop_slug)
        .bind(&top_up.user_id)
        .bind(top_up.limit_after_micros)
        .bind(top_up.added_usd_micros)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// OpenRouter refused (or still has the old limit after a lost answer): the
    /// reservation is given back.
    pub async fn release_top_up(&self, id: &str, now: i64) -> Result<bool, DbError> {
        Ok(sqlx::query(
            "UPDATE key_top_ups SET state = 'released', settled_at = $2
             WHERE id = $1 AND state = 'reserved'",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Reservations made before `before` and still not settled: their OpenRouter call's
    /// outcome was lost (the sweep reads the keys back).
    pub async fn unsettled_top_ups(&self, before: i64) -> Result<Vec<TopUp>, DbError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TOP_UP_COLUMNS} FROM key_top_ups
             WHERE state = 'reserved' AND created_at < $1 ORDER BY created_at LIMIT 100"
        ))
        .bind(before)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One key's top-ups, newest first (the admin row's details).
    pub async fn top_ups_of(
        &self,
        workshop_slug: &str,
        user_id: &str,
    ) -> Result<Vec<TopUp>, DbError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TOP_UP_COLUMNS} FROM key_top_ups
             WHERE workshop_slug = $1 AND user_id = $2 ORDER BY created_at DESC, id"
        ))
        .bind(workshop_slug)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A workshop's applied top-ups, newest first (the admin table's details).
    pub async fn applied_top_ups(&self, workshop_slug: &str) -> Result<Vec<TopUp>, DbError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TOP_UP_COLUMNS} FROM key_top_ups
             WHERE workshop_slug = $1 AND state = 'applied' ORDER BY created_at DESC, id"
        ))
        .bind(workshop_slug)
        .fetch_all(&self.pool)
        .await?)
    }

    /// What the workshop has committed: every key's limit plus top-ups on their way.
    pub async fn committed_usd_micros(&self, workshop_slug: &str) -> Result<i64, DbError> {
        let mut transaction = self.pool.begin().await?;
        let committed = committed_usd_micros(&mut transaction, workshop_slug).await?;
        transaction.commit().await?;
        Ok(committed)
    }
}

/// Every key's limit plus the top-ups reserved and not yet settled, in `transaction`.
pub(super) async fn committed_usd_micros(
    transaction: &mut sqlx::Transaction<'_, sqlx::Any>,
    workshop_slug: &str,
) -> Result<i64, sqlx::Error> {
    let (committed,): (i64,) = sqlx::query_as(
        "SELECT CAST(
             COALESCE((SELECT SUM(limit_usd_micros) FROM workshop_attendance WHERE workshop_slug = $1), 0)
           + COALESCE((SELECT SUM(added_usd_micros) FROM key_top_ups
                       WHERE workshop_slug = $1 AND state = 'reserved'), 0) AS BIGINT)",
    )
    .bind(workshop_slug)
    .fetch_one(&mut **transaction)
    .await?;
    Ok(committed)
}
