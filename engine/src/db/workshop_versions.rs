//! Queries on `workshop_versions`: which version of each workshop file is the newest
//! among the running instances (see the migration and `Minter::carries_newest_file`).

use super::{Database, DbError};

impl Database {
    /// Records that an instance carrying `digest` of `slug`'s file starts at `now`: from
    /// then on, that version is the newest. The mark is at least one past every mark
    /// already recorded for `slug`, so an instance started within the same second as the
    /// previous one (or on a host whose clock is behind) still counts as the later start.
    pub async fn register_workshop_version(
        &self,
        slug: &str,
        digest: &str,
        now: i64,
    ) -> Result<(), DbError> {
        let (latest,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(registered_at) FROM workshop_versions WHERE workshop_slug = $1",
        )
        .bind(slug)
        .fetch_one(&self.pool)
        .await?;
        let mark = latest.map_or(now, |latest| now.max(latest + 1));
        sqlx::query(
            "INSERT INTO workshop_versions (workshop_slug, digest, registered_at) VALUES ($1, $2, $3)
             ON CONFLICT (workshop_slug, digest) DO UPDATE SET registered_at = $3",
        )
        .bind(slug)
        .bind(digest)
        .bind(mark)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest registered version of `slug`'s file; `None` when no instance
    /// registered one (tests that drive the mint directly).
    pub async fn newest_workshop_version(&self, slug: &str) -> Result<Option<String>, DbError> {
        let newest: Option<(String,)> = sqlx::query_as(
            "SELECT digest FROM workshop_versions WHERE workshop_slug = $1
             ORDER BY registered_at DESC, digest LIMIT 1",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        Ok(newest.map(|(digest,)| digest))
    }
}
