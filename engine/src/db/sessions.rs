//! Queries on `sessions` (and the clean-up of `login_attempts`, which older versions
//! wrote). Tokens arrive here already hashed.

use super::{Attendee, Database, DbError};

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
}
