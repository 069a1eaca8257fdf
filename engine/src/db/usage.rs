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
    /// returns how many rows were updated. `listed_from` is when the listing was asked
    /// for (real time): a row an organiser disabled or enabled since then keeps that
    /// state, because the listing may predate it (the next sync brings OpenRouter's).
    pub async fn record_key_figures(
        &self,
        figures: &[KeyFigures],
        now: i64,
        listed_from: i64,
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
                     key_disabled = CASE WHEN disabled_changed_at >= $6 THEN key_disabled ELSE $4 END,
                     usage_synced_at = $5
                 WHERE or_key_hash = $1",
            )
            .bind(&key.hash)
            .bind(key.usage_usd_micros)
            .bind(key.limit_remaining_usd_micros)
            .bind(i64::from(key.disabled))
            .bind(now)
            .bind(listed_from)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        }
        transaction.commit().await?;
        Ok(updated)
    }
}
