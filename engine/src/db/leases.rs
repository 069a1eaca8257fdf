//! Leases on work that only one server instance may do at a time: the usage sync, the
//! sweep of stalled reservations, creating a workshop's guardrail. A lease is a row taken
//! with a conditional upsert, so it works the same on SQLite and Postgres; it is short
//! and renewed by its holder's heartbeat, so a dead instance holds it only seconds.

use super::{Database, DbError};

/// A held lease; give it back with [`Database::finish_background_lease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundLease {
    pub name: String,
    pub holder: String,
    /// When the job last finished, by any instance.
    pub last_done_at: Option<i64>,
}

impl Database {
    /// Takes lease `name` for `holder` until `until`, unless it is held (by anyone,
    /// this instance included) at `now`.
    pub async fn take_background_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<Option<BackgroundLease>, DbError> {
        let taken: Option<(Option<i64>,)> = sqlx::query_as(
            "INSERT INTO background_leases (name, holder, held_until) VALUES ($1, $2, $4)
             ON CONFLICT (name) DO UPDATE SET holder = $2, held_until = $4
             WHERE background_leases.held_until <= $3
             RETURNING last_done_at",
        )
        .bind(name)
        .bind(holder)
        .bind(now)
        .bind(until)
        .fetch_optional(&self.pool)
        .await?;
        Ok(taken.map(|(last_done_at,)| BackgroundLease {
            name: name.to_string(),
            holder: holder.to_string(),
            last_done_at,
        }))
    }

    /// Extends a held lease to `until`; `false` when it is no longer this holder's.
    pub async fn renew_background_lease(
        &self,
        lease: &BackgroundLease,
        until: i64,
    ) -> Result<bool, DbError> {
        let renewed = sqlx::query(
            "UPDATE background_leases SET held_until = $3 WHERE name = $1 AND holder = $2",
        )
        .bind(&lease.name)
        .bind(&lease.holder)
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(renewed.rows_affected() == 1)
    }

    /// Ends the lease now, remembering (when `done`) that the job completed.
    pub async fn finish_background_lease(
        &self,
        lease: &BackgroundLease,
        done: bool,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE background_leases
             SET held_until = $3, last_done_at = CASE WHEN $4 THEN $3 ELSE last_done_at END
             WHERE name = $1 AND holder = $2",
        )
        .bind(&lease.name)
        .bind(&lease.holder)
        .bind(now)
        .bind(done)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Hands back every background lease `holder` holds (a draining instance): another
    /// instance takes each job at its next tick instead of when the lease runs out.
    /// Returns how many were held.
    pub async fn release_background_leases(&self, holder: &str, now: i64) -> Result<u64, DbError> {
        let released = sqlx::query(
            "UPDATE background_leases SET held_until = $2 WHERE holder = $1 AND held_until > $2",
        )
        .bind(holder)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(released.rows_affected())
    }

    /// The background leases `holder` took last, by name, and whether it still holds
    /// each at `now` (for metrics).
    pub async fn background_leases_of(
        &self,
        holder: &str,
        now: i64,
    ) -> Result<Vec<(String, bool)>, DbError> {
        let leases: Vec<(String, i64)> = sqlx::query_as(
            "SELECT name, held_until FROM background_leases WHERE holder = $1 ORDER BY name",
        )
        .bind(holder)
        .fetch_all(&self.pool)
        .await?;
        Ok(leases
            .into_iter()
            .map(|(name, until)| (name, until > now))
            .collect())
    }
}
