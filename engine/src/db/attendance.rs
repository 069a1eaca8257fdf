//! Queries on `workshop_attendance`: one row per attendee and workshop, from the
//! reservation of a claim to its key, binding and usage.

use super::key_pool::take_ready_pool_key;
use super::stored_keys::{attendance_context, pool_context, StoredKey};
use super::top_ups::committed_usd_micros;
use super::ClaimState;
use super::{take_lock_row, Database, DbError};
use wire::model::ClaimStatus;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attendance {
    pub user_id: String,
    pub workshop_slug: String,
    pub email_normalized: String,
    pub key_name: String,
    /// Where the claim is, with its key hash, guardrail or mint lease: decoded once when
    /// the row is read, from `claim_status`, `or_key_hash`, `or_guardrail_id` and
    /// `mint_lease_until` (a row whose columns contradict its status fails the read).
    #[sqlx(flatten)]
    pub state: ClaimState,
    /// The key itself, sealed ([`Database::open_key`] opens it for its owner); the
    /// column keeps the seed's name.
    pub or_key_plaintext: Option<StoredKey>,
    pub key_label: Option<String>,
    pub limit_usd_micros: i64,
    pub expires_at: i64,
    pub guardrail_attached_at: Option<i64>,
    pub usage_usd_micros: Option<i64>,
    pub usage_synced_at: Option<i64>,
    pub last_error: Option<String>,
    pub attended_at: i64,
    pub updated_at: i64,
    pub mint_attempts: i64,
    pub bind_attempts: i64,
    /// Learnt by the usage sync; can be negative when requests overshoot.
    pub limit_remaining_usd_micros: Option<i64>,
    /// Learnt by the usage sync: 1 when the key is disabled on OpenRouter.
    pub key_disabled: Option<i64>,
    /// A key handed out from the warm pool keeps its pool name on OpenRouter until the
    /// background rename; this is that name, and `None` once renamed.
    pub pool_key_name: Option<String>,
    /// What the organisers' applied top-ups added to this key's limit.
    pub topped_up_usd_micros: i64,
}

impl Attendance {
    pub fn status(&self) -> ClaimStatus {
        self.state.status()
    }

    /// The key's OpenRouter hash, once there is a key.
    pub fn key_hash(&self) -> Option<&str> {
        self.state.key_hash()
    }
}

pub(super) const ATTENDANCE_COLUMNS: &str =
    "user_id, workshop_slug, email_normalized, key_name, claim_status, \
     or_key_hash, or_key_plaintext, key_label, limit_usd_micros, expires_at, or_guardrail_id, \
     guardrail_attached_at, usage_usd_micros, usage_synced_at, last_error, attended_at, updated_at, \
     mint_lease_until, mint_attempts, bind_attempts, limit_remaining_usd_micros, key_disabled, \
     pool_key_name, topped_up_usd_micros";

/// A claim about to be reserved, with the workshop's caps to check it against.
#[derive(Debug, Clone)]
pub struct NewReservation<'a> {
    pub user_id: &'a str,
    pub workshop_slug: &'a str,
    pub email_normalized: &'a str,
    pub key_name: &'a str,
    pub limit_usd_micros: i64,
    pub expires_at: i64,
    /// Sum of per-key limits may not exceed this.
    pub workshop_cap_usd_micros: i64,
    pub max_attendees: Option<i64>,
    /// Hand out a ready key of the workshop's warm pool, if it has one.
    pub take_from_pool: bool,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveOutcome {
    /// A new row was written: reserved (the key still has to be minted) or, when it took
    /// a key from the warm pool, already bound.
    Reserved(Attendance),
    /// This attendee (or the same mailbox under another sign-in) already has a row.
    Existing(Attendance),
    /// The workshop's budget cannot cover one more key.
    BudgetExhausted,
    /// `max_attendees` keys are already out.
    AttendeesFull,
}

impl Database {
    pub async fn find_attendance(
        &self,
        user_id: &str,
        workshop_slug: &str,
    ) -> Result<Option<Attendance>, DbError> {
        let sql = format!(
            "SELECT {ATTENDANCE_COLUMNS} FROM workshop_attendance WHERE user_id = $1 AND workshop_slug = $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .bind(workshop_slug)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every row of a workshop, oldest claim first (the admin page).
    pub async fn list_attendance(&self, workshop_slug: &str) -> Result<Vec<Attendance>, DbError> {
        let sql = format!(
            "SELECT {ATTENDANCE_COLUMNS} FROM workshop_attendance WHERE workshop_slug = $1 \
             ORDER BY attended_at, user_id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(workshop_slug)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Reserves a claim in one transaction: returns the existing row for this attendee
    /// or mailbox, or checks the caps and inserts the row.
    ///
    /// The first statement writes the workshop's lock row, which serialises claims for
    /// one workshop on both databases: a row lock on Postgres, the write lock on SQLite.
    /// Without it two transactions could both see room for the last place.
    pub async fn reserve_claim(
        &self,
        claim: &NewReservation<'_>,
    ) -> Result<ReserveOutcome, DbError> {
        let mut transaction = self.pool.begin().await?;
        take_lock_row(&mut transaction, claim.workshop_slug).await?;

        let sql = format!(
            "SELECT {ATTENDANCE_COLUMNS} FROM workshop_attendance
             WHERE workshop_slug = $1 AND (user_id = $2 OR email_normalized = $3)
             ORDER BY CASE WHEN user_id = $2 THEN 0 ELSE 1 END LIMIT 1"
        );
        let existing: Option<Attendance> = sqlx::query_as(&sql)
            .bind(claim.workshop_slug)
            .bind(claim.user_id)
            .bind(claim.email_normalized)
            .fetch_optional(&mut *transaction)
            .await?;
        if let Some(existing) = existing {
            transaction.commit().await?;
            return Ok(ReserveOutcome::Existing(existing));
        }

        let (claims,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM workshop_attendance WHERE workshop_slug = $1")
                .bind(claim.workshop_slug)
                .fetch_one(&mut *transaction)
                .await?;
        // Keys' limits and the organisers' top-ups on their way to OpenRouter.
        let issued = committed_usd_micros(&mut transaction, claim.workshop_slug).await?;
        if claim.max_attendees.is_some_and(|max| claims >= max) {
            transaction.rollback().await?;
            return Ok(ReserveOutcome::AttendeesFull);
        }
        if issued + claim.limit_usd_micros > claim.workshop_cap_usd_micros {
            transaction.rollback().await?;
            return Ok(ReserveOutcome::BudgetExhausted);
        }

        let pool_key = if claim.take_from_pool {
            take_ready_pool_key(
                &mut transaction,
                self.backend,
                claim.workshop_slug,
                claim.limit_usd_micros,
                claim.expires_at,
            )
            .await?
        } else {
            None
        };
        // The pool's key, sealed for the pool's row, re-sealed for the attendee's.
        let handed_out = match &pool_key {
            Some(key) => Some(self.seal(
                &self.open_stored(&key.key_plaintext, &pool_context(&key.key_hash))?,
                &attendance_context(claim.workshop_slug, claim.user_id),
            )?),
            None => None,
        };
        // With a pool key the row is written bound, key and all: the claim is done.
        let sql = format!(
            "INSERT INTO workshop_attendance (user_id, workshop_slug, email_normalized, key_name, claim_status,
                 limit_usd_micros, expires_at, attended_at, updated_at,
                 or_key_hash, or_key_plaintext, key_label, or_guardrail_id, guardrail_attached_at, pool_key_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14)
             RETURNING {ATTENDANCE_COLUMNS}"
        );
        let status = if pool_key.is_some() {
            "bound"
        } else {
            "reserved"
        };
        let row: Attendance = sqlx::query_as(&sql)
            .bind(claim.user_id)
            .bind(claim.workshop_slug)
            .bind(claim.email_normalized)
            .bind(claim.key_name)
            .bind(status)
            .bind(claim.limit_usd_micros)
            .bind(claim.expires_at)
            .bind(claim.now)
            .bind(pool_key.as_ref().map(|key| key.key_hash.clone()))
            .bind(handed_out)
            .bind(pool_key.as_ref().map(|key| key.key_label.clone()))
            .bind(pool_key.as_ref().map(|key| key.guardrail_id.clone()))
            .bind(pool_key.as_ref().map(|_| claim.now))
            .bind(pool_key.as_ref().map(|key| key.key_name.clone()))
            .fetch_one(&mut *transaction)
            .await?;
        sqlx::query("UPDATE workshop_claim_locks SET claims_made = claims_made + 1 WHERE workshop_slug = $1")
            .bind(claim.workshop_slug)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(ReserveOutcome::Reserved(row))
    }
}

impl Database {
    /// The row of the attendee with this normalised email (the admin page names rows by it).
    pub async fn find_attendance_by_email(
        &self,
        workshop_slug: &str,
        email_normalized: &str,
    ) -> Result<Option<Attendance>, DbError> {
        let sql = format!(
            "SELECT {ATTENDANCE_COLUMNS} FROM workshop_attendance \
             WHERE workshop_slug = $1 AND email_normalized = $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(workshop_slug)
            .bind(email_normalized)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// How many claims a workshop has, and the sum of their per-key limits.
    pub async fn workshop_totals(&self, workshop_slug: &str) -> Result<(i64, i64), DbError> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(limit_usd_micros), 0) AS BIGINT)
             FROM workshop_attendance WHERE workshop_slug = $1",
        )
        .bind(workshop_slug)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Keys stored but not yet assigned to the guardrail, oldest first.
    pub async fn list_unbound(&self, workshop_slug: &str) -> Result<Vec<Attendance>, DbError> {
        let sql = format!(
            "SELECT {ATTENDANCE_COLUMNS} FROM workshop_attendance \
             WHERE workshop_slug = $1 AND claim_status = 'minted' ORDER BY attended_at, user_id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(workshop_slug)
            .fetch_all(&self.pool)
            .await?)
    }
}
