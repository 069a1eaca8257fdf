//! The writes of the mint after the reservation: the lease that lets exactly one request
//! create a row's key, storing the key, and recording the guardrail assignment.

use super::attendance::ATTENDANCE_COLUMNS;
use super::stored_keys::{attendance_context, stored_label};
use super::{Attendance, Database, DbError};
use crate::secret::Secret;

/// A key OpenRouter has just created, to be stored on its reserved row.
#[derive(Debug, Clone, Copy)]
pub struct MintedKey<'a> {
    pub user_id: &'a str,
    pub workshop_slug: &'a str,
    /// The lease the minting request holds; the store is refused without it.
    pub lease: &'a str,
    pub hash: &'a str,
    pub plaintext: &'a Secret,
    pub label: &'a str,
    pub now: i64,
}

/// The lease a request took on a reserved row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintLease {
    /// Counting this one. Above one, an earlier attempt may have created a key.
    pub attempt: i64,
}

impl Database {
    /// Takes the row's mint lease until `until` if the row is still reserved and nobody
    /// holds an unexpired lease, and counts the attempt. `None` means another request
    /// is minting (or has minted) this key.
    pub async fn take_mint_lease(
        &self,
        user_id: &str,
        workshop_slug: &str,
        lease: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<MintLease>, DbError> {
        let attempt: Option<(i64,)> = sqlx::query_as(
            "UPDATE workshop_attendance
             SET mint_lease = $3, mint_lease_until = $5, mint_attempts = mint_attempts + 1, updated_at = $4
             WHERE user_id = $1 AND workshop_slug = $2 AND claim_status = 'reserved'
               AND (mint_lease_until IS NULL OR mint_lease_until <= $4)
             RETURNING mint_attempts",
        )
        .bind(user_id)
        .bind(workshop_slug)
        .bind(lease)
        .bind(now)
        .bind(until)
        .fetch_optional(&self.pool)
        .await?;
        Ok(attempt.map(|(attempt,)| MintLease { attempt }))
    }

    /// Extends the caller's mint lease to `until` (the holder's heartbeat); `false` when
    /// the row is no longer leased to it.
    pub async fn renew_mint_lease(
        &self,
        user_id: &str,
        workshop_slug: &str,
        lease: &str,
        until: i64,
    ) -> Result<bool, DbError> {
        let renewed = sqlx::query(
            "UPDATE workshop_attendance SET mint_lease_until = $4
             WHERE user_id = $1 AND workshop_slug = $2 AND mint_lease = $3 AND claim_status = 'reserved'",
        )
        .bind(user_id)
        .bind(workshop_slug)
        .bind(lease)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Reserved rows nobody is minting (no lease, or an expired one) that have not been
    /// touched since `untouched_since`, oldest first: what the sweep finishes.
    pub async fn list_stalled_reservations(
        &self,
        now: i64,
        untouched_since: i64,
        limit: i64,
    ) -> Result<Vec<Attendance>, DbError> {
        let sql = format!(
            "SELECT {ATTENDANCE_COLUMNS} FROM workshop_attendance
             WHERE claim_status = 'reserved'
               AND (mint_lease_until IS NULL OR mint_lease_until <= $1)
               AND updated_at <= $2
             ORDER BY updated_at, user_id LIMIT $3"
        );
        Ok(sqlx::query_as(&sql)
            .bind(now)
            .bind(untouched_since)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Gives the lease back after a failed mint, with the reason for the admin page.
    pub async fn release_mint_lease(
        &self,
        user_id: &str,
        workshop_slug: &str,
        lease: &str,
        error: &str,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE workshop_attendance
             SET mint_lease = NULL, mint_lease_until = NULL, last_error = $4, updated_at = $5
             WHERE user_id = $1 AND workshop_slug = $2 AND mint_lease = $3",
        )
        .bind(user_id)
        .bind(workshop_slug)
        .bind(lease)
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores hash and plaintext together on the reserved row whose lease the caller
    /// holds. `false` when the lease was lost (it expired and another request took it):
    /// the caller's key is then not stored and must be removed from OpenRouter.
    pub async fn store_minted_key(&self, key: &MintedKey<'_>) -> Result<bool, DbError> {
        let result = sqlx::query(
            "UPDATE workshop_attendance SET claim_status = 'minted', or_key_hash = $4,
                 or_key_plaintext = $5, key_label = $6, last_error = NULL, updated_at = $7,
                 mint_lease = NULL, mint_lease_until = NULL
             WHERE user_id = $1 AND workshop_slug = $2 AND claim_status = 'reserved' AND mint_lease = $3",
        )
        .bind(key.user_id)
        .bind(key.workshop_slug)
        .bind(key.lease)
        .bind(key.hash)
        .bind(self.seal(
            key.plaintext,
            &attendance_context(key.workshop_slug, key.user_id),
        )?)
        .bind(stored_label(key.label))
        .bind(key.now)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Marks keys as assigned to the workshop guardrail, in one transaction.
    pub async fn mark_bound(
        &self,
        key_hashes: &[String],
        guardrail_id: &str,
        now: i64,
    ) -> Result<u64, DbError> {
        let mut bound = 0;
        let mut transaction = self.pool.begin().await?;
        for hash in key_hashes {
            bound += sqlx::query(
                "UPDATE workshop_attendance SET claim_status = 'bound', or_guardrail_id = $2,
                     guardrail_attached_at = $3, last_error = NULL, updated_at = $3
                 WHERE or_key_hash = $1 AND claim_status = 'minted'",
            )
            .bind(hash)
            .bind(guardrail_id)
            .bind(now)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        }
        transaction.commit().await?;
        Ok(bound)
    }

    /// Records a failed assignment of these (still unbound) keys.
    pub async fn record_bind_failure(
        &self,
        key_hashes: &[String],
        error: &str,
        now: i64,
    ) -> Result<(), DbError> {
        let mut transaction = self.pool.begin().await?;
        for hash in key_hashes {
            sqlx::query(
                "UPDATE workshop_attendance SET last_error = $2, bind_attempts = bind_attempts + 1,
                     updated_at = $3
                 WHERE or_key_hash = $1 AND claim_status = 'minted'",
            )
            .bind(hash)
            .bind(error)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }
}
