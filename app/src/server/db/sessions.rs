//! Queries on `sessions` and `login_attempts`. Tokens arrive here already hashed.

use super::{Attendee, Database, DbError};

/// How many stale rows one insert removes at most: bounded work per sign-in start.
pub const PURGE_PER_INSERT: i64 = 100;

/// A sign-in in progress, as stored between the redirect and the callback.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoginAttempt {
    pub provider: String,
    pub pkce_verifier: String,
    pub nonce: Option<String>,
    pub next_path: String,
    pub created_at: i64,
    /// "Sign in and claim": the workshop to claim at once when the provider sends the
    /// browser back.
    pub claim_slug: Option<String>,
    /// Ticked next to that claim: 1 to opt in to the workshop's marketing.
    pub marketing_opt_in: i64,
}

impl Database {
    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), DbError> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The attendee behind a live session, or `None` for an unknown or expired token.
    pub async fn find_session_attendee(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<Attendee>, DbError> {
        Ok(sqlx::query_as(
            "SELECT a.user_id, a.email, a.email_normalized, a.display_name, a.auth_provider, a.first_seen_at,
                 a.last_seen_at, a.marketing_opted_in, a.marketing_opted_in_at, a.marketing_opted_in_workshop
             FROM sessions s JOIN attendees a ON a.user_id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Housekeeping done at each sign-in instead of by a cron job.
    pub async fn delete_expired_sign_in_state(
        &self,
        now: i64,
        attempt_max_age: i64,
    ) -> Result<(), DbError> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM login_attempts WHERE created_at <= $1")
            .bind(now - attempt_max_age)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a sign-in about to leave for the provider, keeping the table bounded
    /// however often anonymous visitors start one: expired attempts are purged (at most
    /// [`PURGE_PER_INSERT`] a call), the browser's previous attempt (`replaces`, from its
    /// cookie) is dropped — one attempt in flight per browser — and beyond `max_pending`
    /// rows the oldest go.
    pub async fn insert_login_attempt(
        &self,
        state_hash: &str,
        attempt: &LoginAttempt,
        replaces: Option<&str>,
        expired_before: i64,
        max_pending: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "DELETE FROM login_attempts WHERE state_hash IN (
                 SELECT state_hash FROM login_attempts WHERE created_at <= $1 LIMIT $2)",
        )
        .bind(expired_before)
        .bind(PURGE_PER_INSERT)
        .execute(&self.pool)
        .await?;
        if let Some(previous) = replaces {
            sqlx::query("DELETE FROM login_attempts WHERE state_hash = $1")
                .bind(previous)
                .execute(&self.pool)
                .await?;
        }
        sqlx::query(
            "INSERT INTO login_attempts (state_hash, provider, pkce_verifier, nonce, next_path, created_at,
                 claim_slug, marketing_opt_in)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(state_hash)
        .bind(&attempt.provider)
        .bind(&attempt.pkce_verifier)
        .bind(&attempt.nonce)
        .bind(&attempt.next_path)
        .bind(attempt.created_at)
        .bind(&attempt.claim_slug)
        .bind(attempt.marketing_opt_in)
        .execute(&self.pool)
        .await?;
        // A flood of cookie-less starts: the newest `max_pending` survive.
        sqlx::query(
            "DELETE FROM login_attempts WHERE state_hash IN (
                 SELECT state_hash FROM login_attempts
                 ORDER BY created_at DESC, state_hash LIMIT $2 OFFSET $1)",
        )
        .bind(max_pending)
        .bind(PURGE_PER_INSERT)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn count_login_attempts(&self) -> Result<i64, DbError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM login_attempts")
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    /// Takes (reads and deletes) a login attempt: each `state` can be used once.
    pub async fn take_login_attempt(
        &self,
        state_hash: &str,
    ) -> Result<Option<LoginAttempt>, DbError> {
        Ok(sqlx::query_as(
            "DELETE FROM login_attempts WHERE state_hash = $1
             RETURNING provider, pkce_verifier, nonce, next_path, created_at, claim_slug, marketing_opt_in",
        )
        .bind(state_hash)
        .fetch_optional(&self.pool)
        .await?)
    }
}
