//! The remembered guardrail of each workshop, and the lock that makes "find or create
//! it" happen once even when several server instances try at the same moment.

use std::future::Future;

use super::{take_lock_row, Database, DbError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GuardrailRecord {
    pub guardrail_id: String,
    /// The settings last sent to OpenRouter, as canonical JSON.
    pub settings_sent: String,
}

/// Why [`Database::ensure_guardrail`] failed: the database, or the caller's own step.
#[derive(Debug)]
pub enum EnsureFailure<E> {
    Database(DbError),
    Step(E),
}

impl<E> From<sqlx::Error> for EnsureFailure<E> {
    fn from(error: sqlx::Error) -> Self {
        EnsureFailure::Database(DbError::from(error))
    }
}

impl Database {
    /// Runs `decide` with the workshop's remembered guardrail (if any) while holding the
    /// workshop's guardrail lock, and remembers what it returns. The lock is a row
    /// written first in the transaction: a row lock on Postgres, the write lock on
    /// SQLite, so a second instance waits and then sees the first one's record. The
    /// lock is held across `decide`'s OpenRouter calls; that happens once per workshop
    /// and per change of its file, not per claim.
    pub async fn ensure_guardrail<Decide, Decided, E>(
        &self,
        workshop_slug: &str,
        now: i64,
        decide: Decide,
    ) -> Result<GuardrailRecord, EnsureFailure<E>>
    where
        Decide: FnOnce(Option<GuardrailRecord>) -> Decided,
        Decided: Future<Output = Result<GuardrailRecord, E>>,
    {
        let mut transaction = self.pool.begin().await?;
        take_lock_row(&mut transaction, &format!("guardrail:{workshop_slug}")).await?;
        let current: Option<GuardrailRecord> = sqlx::query_as(
            "SELECT guardrail_id, settings_sent FROM workshop_guardrails WHERE workshop_slug = $1",
        )
        .bind(workshop_slug)
        .fetch_optional(&mut *transaction)
        .await?;
        let decided = match decide(current.clone()).await {
            Ok(record) => record,
            Err(error) => {
                transaction.rollback().await?;
                return Err(EnsureFailure::Step(error));
            }
        };
        if current.as_ref() != Some(&decided) {
            sqlx::query(
                "INSERT INTO workshop_guardrails (workshop_slug, guardrail_id, settings_sent, updated_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workshop_slug) DO UPDATE SET guardrail_id = $2, settings_sent = $3, updated_at = $4",
            )
            .bind(workshop_slug)
            .bind(&decided.guardrail_id)
            .bind(&decided.settings_sent)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(decided)
    }
}
