//! Attendees' and pool keys sealed at rest (`KEY_ENCRYPTION_KEYS`): every key is written
//! sealed ([`crate::sealing`]) and bound to its table and row, so a database dump
//! or backup — or the SQLite file and its WAL — holds no usable key, and a sealed value
//! copied into another row does not open there.
//!
//! - writes seal (`store_minted_key`, `store_pool_key`, the hand-out of a pool key, which
//!   re-seals it for its attendee's row);
//! - reads hand back a [`StoredKey`], opened only where the plaintext is shown to its
//!   owner ([`Database::open_key`]): a row that fails to open is an error for that row,
//!   never for the others;
//! - at start-up, rows still in plaintext (written before sealing) are sealed, in
//!   batches, idempotently ([`Database::seal_plaintext_keys`]); [`Database::check_key_ring`]
//!   refuses a key ring that cannot open what is stored;
//! - `server rekey` re-seals every row under the ring's first key ([`Database::rekey`]);
//! - `KEY_RETENTION_DAYS` erases keys that long after they expired
//!   ([`Database::erase_expired_keys`]); hashes and figures stay.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Decode, Type};

use super::{Attendance, Database, DbError};
use crate::sealing::{KeyRing, OpenError};
use crate::secret::Secret;

/// A key as the database holds it: sealed (`wkm1.…`), or in plaintext in a row written
/// before sealing existed (sealed at the next start). Opened through
/// [`Database::open_key`]; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey(String);

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredKey([redacted])")
    }
}

impl StoredKey {
    pub fn is_sealed(&self) -> bool {
        KeyRing::is_sealed(&self.0)
    }
}

impl Type<Any> for StoredKey {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for StoredKey {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        <String as Decode<'r, Any>>::decode(value).map(StoredKey)
    }
}

/// The prefix of every OpenRouter key. Stored labels leave it out ([`stored_label`]): a
/// masked label like `sk-or-v1-0e6…1c96` is no key, but a dump that holds no
/// `sk-or-v1-` at all gives secret scanners nothing to flag and people nothing to doubt.
const KEY_PREFIX: &str = "sk-or-v1-";

/// OpenRouter's masked label as stored: without the key prefix.
pub fn stored_label(label: &str) -> &str {
    label.strip_prefix(KEY_PREFIX).unwrap_or(label)
}

/// A stored label as OpenRouter shows it (rows from before [`stored_label`] already are).
pub fn shown_label(stored: &str) -> String {
    if stored.starts_with(KEY_PREFIX) || stored.is_empty() {
        stored.to_string()
    } else {
        format!("{KEY_PREFIX}{stored}")
    }
}

/// Why a stored key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no key ring: the database handle was made without KEY_ENCRYPTION_KEYS")]
    NoKeyRing,
    #[error("the stored key does not open: {0}")]
    Unreadable(#[from] OpenError),
}

/// What a sealed attendance key is bound to: its table and row.
pub(super) fn attendance_context(workshop_slug: &str, user_id: &str) -> Vec<u8> {
    format!("workshop_attendance/{workshop_slug}/{user_id}").into_bytes()
}

/// What a sealed pool key is bound to: its table and row.
pub(super) fn pool_context(key_hash: &str) -> Vec<u8> {
    format!("key_pool/{key_hash}").into_bytes()
}

/// What one pass over the stored keys did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SealReport {
    pub attendance: u64,
    pub pool: u64,
}

/// Rows handled per batch: one transaction each, so a large table never holds a lock long.
const BATCH: i64 = 500;

impl Database {
    /// The key ring this handle seals with.
    pub fn key_ring(&self) -> Result<&KeyRing, DbError> {
        self.keys.as_ref().ok_or(DbError::NoKeyRing)
    }

    /// Seals `plaintext` for `context`.
    pub(super) fn seal(&self, plaintext: &Secret, context: &[u8]) -> Result<String, DbError> {
        Ok(self
            .key_ring()?
            .seal(plaintext.expose().as_bytes(), context))
    }

    /// Opens a stored value for `context`; a plaintext one (from before sealing) is
    /// taken as it is.
    pub(super) fn open_stored(
        &self,
        stored: &StoredKey,
        context: &[u8],
    ) -> Result<Secret, KeyError> {
        if !stored.is_sealed() {
            return Ok(Secret::new(stored.0.clone()));
        }
        let keys = self.keys.as_ref().ok_or(KeyError::NoKeyRing)?;
        let bytes = keys.open(&stored.0, context)?;
        String::from_utf8(bytes)
            .map(Secret::new)
            .map_err(|_| KeyError::Unreadable(OpenError::Tampered))
    }

    /// The row's key in plaintext, for its owner's page; `None` while none is stored (or
    /// after `KEY_RETENTION_DAYS` erased it).
    pub fn open_key(&self, row: &Attendance) -> Result<Option<Secret>, KeyError> {
        row.or_key_plaintext
            .as_ref()
            .map(|stored| {
                self.open_stored(
                    stored,
                    &attendance_context(&row.workshop_slug, &row.user_id),
                )
            })
            .transpose()
    }

    /// Refuses a key ring that cannot open what is stored: every sealed value names the
    /// key that sealed it, and a few of them must open with the ring (a key of the right
    /// id but other bytes opens none). Checked at start-up.
    pub async fn check_key_ring(&self) -> Result<(), KeyRingMismatch> {
        let keys = self.key_ring().map_err(|_| KeyRingMismatch::NoKeyRing)?;
        let sample: Vec<(String, String, StoredKey)> = sqlx::query_as(
            "SELECT workshop_slug, user_id, or_key_plaintext FROM workshop_attendance
             WHERE or_key_plaintext LIKE 'wkm1.%' ORDER BY updated_at DESC LIMIT 5",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|error| KeyRingMismatch::Database(error.to_string()))?;
        let mut opened = 0;
        let mut last_problem = None;
        for (slug, user_id, stored) in &sample {
            match keys.open(&stored.0, &attendance_context(slug, user_id)) {
                Ok(_) => opened += 1,
                Err(OpenError::UnknownKey(id)) => return Err(KeyRingMismatch::MissingKey(id)),
                Err(problem) => last_problem = Some(problem),
            }
        }
        match (opened, last_problem) {
            (0, Some(_)) => Err(KeyRingMismatch::WrongKey(
                KeyRing::key_id_of(&sample[0].2 .0)
                    .unwrap_or_default()
                    .to_string(),
            )),
            // Some open, some do not: tampered rows, reported one by one when read.
            _ => Ok(()),
        }
    }

    /// Seals the keys still stored in plaintext (rows written before sealing), a batch
    /// at a time; each row is updated only if it still holds what was read, so two
    /// instances starting together cannot clash.
    pub async fn seal_plaintext_keys(&self) -> Result<SealReport, DbError> {
        self.reseal(|stored, _keys| !stored.is_sealed()).await
    }

    /// Re-seals every stored key not sealed by the ring's first key (`server rekey`,
    /// after a new key was put first in `KEY_ENCRYPTION_KEYS`).
    pub async fn rekey(&self) -> Result<SealReport, DbError> {
        self.reseal(|stored, keys| KeyRing::key_id_of(&stored.0) != Some(keys.sealing_id()))
            .await
    }

    async fn reseal(
        &self,
        wanted: impl Fn(&StoredKey, &KeyRing) -> bool,
    ) -> Result<SealReport, DbError> {
        let keys = self.key_ring()?.clone();
        let mut report = SealReport::default();
        // Attendance rows, by primary key order.
        let mut after = (String::new(), String::new());
        loop {
            let rows: Vec<(String, String, StoredKey)> = sqlx::query_as(
                "SELECT user_id, workshop_slug, or_key_plaintext FROM workshop_attendance
                 WHERE or_key_plaintext IS NOT NULL AND (user_id > $1 OR (user_id = $1 AND workshop_slug > $2))
                 ORDER BY user_id, workshop_slug LIMIT $3",
            )
            .bind(&after.0)
            .bind(&after.1)
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after = (last.0.clone(), last.1.clone());
            let mut transaction = self.pool.begin().await?;
            for (user_id, slug, stored) in rows.iter().filter(|row| wanted(&row.2, &keys)) {
                let context = attendance_context(slug, user_id);
                let Ok(plaintext) = self.open_stored(stored, &context) else {
                    tracing::error!(
                        slug = %slug,
                        "a stored key does not open; left as it is (tampered, or sealed with a key no longer in KEY_ENCRYPTION_KEYS)"
                    );
                    continue;
                };
                report.attendance += sqlx::query(
                    "UPDATE workshop_attendance SET or_key_plaintext = $1
                     WHERE user_id = $2 AND workshop_slug = $3 AND or_key_plaintext = $4",
                )
                .bind(keys.seal(plaintext.expose().as_bytes(), &context))
                .bind(user_id)
                .bind(slug)
                .bind(&stored.0)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
            }
            transaction.commit().await?;
        }
        // Pool keys, by hash.
        let mut after = String::new();
        loop {
            let rows: Vec<(String, StoredKey)> = sqlx::query_as(
                "SELECT key_hash, key_plaintext FROM key_pool WHERE key_hash > $1
                 ORDER BY key_hash LIMIT $2",
            )
            .bind(&after)
            .bind(BATCH)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            let mut transaction = self.pool.begin().await?;
            for (hash, stored) in rows.iter().filter(|row| wanted(&row.1, &keys)) {
                let context = pool_context(hash);
                let Ok(plaintext) = self.open_stored(stored, &context) else {
                    tracing::error!("a stored pool key does not open; left as it is");
                    continue;
                };
                report.pool += sqlx::query(
                    "UPDATE key_pool SET key_plaintext = $1 WHERE key_hash = $2 AND key_plaintext = $3",
                )
                .bind(keys.seal(plaintext.expose().as_bytes(), &context))
                .bind(hash)
                .bind(&stored.0)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
            }
            transaction.commit().await?;
        }
        Ok(report)
    }

    /// Erases the stored key of every row whose key expired before `cutoff` (UTC
    /// seconds): `KEY_RETENTION_DAYS`. The hash, the label and the figures stay.
    pub async fn erase_expired_keys(&self, cutoff: i64) -> Result<u64, DbError> {
        Ok(sqlx::query(
            "UPDATE workshop_attendance SET or_key_plaintext = NULL
             WHERE expires_at < $1 AND or_key_plaintext IS NOT NULL",
        )
        .bind(cutoff)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}

/// Why a key ring was refused at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingMismatch {
    #[error("no KEY_ENCRYPTION_KEYS given")]
    NoKeyRing,
    #[error(
        "stored keys are sealed with key `{0}`, which KEY_ENCRYPTION_KEYS does not have: \
         put it back (a new key goes first, the old ones after it)"
    )]
    MissingKey(String),
    #[error(
        "KEY_ENCRYPTION_KEYS has a key `{0}`, but not the one the stored keys were sealed \
         with: its bytes differ"
    )]
    WrongKey(String),
    #[error("cannot read the stored keys: {0}")]
    Database(String),
}

#[cfg(test)]
mod tests {
    use super::{shown_label, stored_label};

    #[test]
    fn labels_are_stored_without_the_key_prefix_and_shown_with_it() {
        assert_eq!(stored_label("sk-or-v1-0e6...1c96"), "0e6...1c96");
        assert_eq!(shown_label("0e6...1c96"), "sk-or-v1-0e6...1c96");
        // A row from before keeps its label as it was.
        assert_eq!(shown_label("sk-or-v1-0e6...1c96"), "sk-or-v1-0e6...1c96");
        assert_eq!(shown_label(""), "");
    }
}
