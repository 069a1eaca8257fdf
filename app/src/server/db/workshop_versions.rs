//! Queries on `workshop_versions`: which version of each workshop file is the newest
//! among the running instances (see the migration and `Minter::carries_newest_file`).

use super::{Database, DbError};

impl Database {
    /// Records that an instance carrying `digest` of `slug`'s file starts at `now`: from
    /// then on, that version is the newest.
    pub async fn register_workshop_version(
        &self,
        slug: &str,
        digest: &str,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO workshop_versions (workshop_slug, digest, registered_at) VALUES ($1, $2, $3)
             ON CONFLICT (workshop_slug, digest) DO UPDATE SET registered_at = $3",
        )
        .bind(slug)
        .bind(digest)
        .bind(now)
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
