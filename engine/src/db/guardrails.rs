//! The remembered guardrail of each workshop. "Find or create it once" across instances
//! is coordinated by a background lease (`guardrail:<slug>`, see `leases`), never by a
//! transaction held open across OpenRouter calls.

use super::{Database, DbError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GuardrailRecord {
    pub guardrail_id: String,
    /// The settings last sent to OpenRouter, as canonical JSON.
    pub settings_sent: String,
}

impl Database {
    pub async fn guardrail_record(
        &self,
        workshop_slug: &str,
    ) -> Result<Option<GuardrailRecord>, DbError> {
        Ok(sqlx::query_as(
            "SELECT guardrail_id, settings_sent FROM workshop_guardrails WHERE workshop_slug = $1",
        )
        .bind(workshop_slug)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn store_guardrail_record(
        &self,
        workshop_slug: &str,
        record: &GuardrailRecord,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO workshop_guardrails (workshop_slug, guardrail_id, settings_sent, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (workshop_slug) DO UPDATE SET guardrail_id = $2, settings_sent = $3, updated_at = $4",
        )
        .bind(workshop_slug)
        .bind(&record.guardrail_id)
        .bind(&record.settings_sent)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
