//! What the usage sync writes: OpenRouter's figures copied onto the rows of our keys.

use std::collections::HashSet;

use super::{Database, DbError};

/// One key's figures as `GET /keys` reported them, in micro-dollars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFigures {
    pub hash: String,
    pub usage_usd_micros: i64,
    pub limit_remaining_usd_micros: Option<i64>,
    pub disabled: bool,
}

impl Database {
    /// Copies the figures of the keys we issued (others in the account are ignored) and
    /// returns how many rows were updated.
    pub async fn record_key_figures(
        &self,
        figures: &[KeyFigures],
        now: i64,
    ) -> Result<u64, DbError> {
        let ours: HashSet<String> = sqlx::query_as::<_, (String,)>(
            "SELECT or_key_hash FROM workshop_attendance WHERE or_key_hash IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(hash,)| hash)
        .collect();
        let mut updated = 0;
        let mut transaction = self.pool.begin().await?;
        for key in figures.iter().filter(|key| ours.contains(&key.hash)) {
            updated += sqlx::query(
                "UPDATE workshop_attendance SET usage_usd_micros = $2, limit_remaining_usd_micros = $3,
                     key_disabled = $4, usage_synced_at = $5
                 WHERE or_key_hash = $1",
            )
            .bind(&key.hash)
            .bind(key.usage_usd_micros)
            .bind(key.limit_remaining_usd_micros)
            .bind(i64::from(key.disabled))
            .bind(now)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        }
        transaction.commit().await?;
        Ok(updated)
    }
}
