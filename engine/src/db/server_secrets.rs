//! Secrets the server makes for itself and shares between instances through the
//! database (`server_secrets`).

use super::{Database, DbError};

impl Database {
    /// The secret `name`: the one stored, or `fresh` stored now if there is none yet.
    /// Instances starting together agree on whichever was stored first.
    pub async fn shared_secret(
        &self,
        name: &str,
        fresh: &str,
        now: i64,
    ) -> Result<String, DbError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(now)
        .execute(&self.pool)
        .await?;
        let (value,): (String,) =
            sqlx::query_as("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?;
        Ok(value)
    }
}
