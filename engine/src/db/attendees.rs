//! Queries on `attendees`: one row per signed-in identity, refreshed at every sign-in.

use super::{Database, DbError};

/// What a successful sign-in tells us about the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInAttendee {
    pub user_id: String,
    pub email: String,
    pub email_normalized: String,
    pub display_name: Option<String>,
    pub auth_provider: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attendee {
    pub user_id: String,
    pub email: String,
    pub email_normalized: String,
    pub display_name: Option<String>,
    pub auth_provider: String,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    /// The seed's marketing opt-in: 1 when given, when, and at which workshop.
    pub marketing_opted_in: i64,
    pub marketing_opted_in_at: Option<i64>,
    pub marketing_opted_in_workshop: Option<String>,
}

impl Attendee {
    /// Whether this person opted in to marketing from workshop `slug`.
    pub fn opted_in_from(&self, slug: &str) -> bool {
        self.marketing_opted_in == 1 && self.marketing_opted_in_workshop.as_deref() == Some(slug)
    }
}

pub(super) const ATTENDEE_COLUMNS: &str =
    "user_id, email, email_normalized, display_name, auth_provider, first_seen_at, last_seen_at, \
     marketing_opted_in, marketing_opted_in_at, marketing_opted_in_workshop";

impl Database {
    /// Inserts the attendee or refreshes their email, name and last-seen time.
    pub async fn upsert_attendee(
        &self,
        attendee: &SignedInAttendee,
        now: i64,
    ) -> Result<Attendee, DbError> {
        let sql = format!(
            "INSERT INTO attendees (user_id, email, email_normalized, display_name, auth_provider, first_seen_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (user_id) DO UPDATE SET
                 email = excluded.email,
                 email_normalized = excluded.email_normalized,
                 display_name = excluded.display_name,
                 last_seen_at = excluded.last_seen_at
             RETURNING {ATTENDEE_COLUMNS}"
        );
        let row = sqlx::query_as(&sql)
            .bind(&attendee.user_id)
            .bind(&attendee.email)
            .bind(&attendee.email_normalized)
            .bind(&attendee.display_name)
            .bind(&attendee.auth_provider)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(row)
    }

    /// Records (`Some(workshop)`) or withdraws (`None`) the marketing opt-in, with its
    /// time and the workshop it was given at.
    pub async fn set_marketing_opt_in(
        &self,
        user_id: &str,
        workshop_slug: Option<&str>,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE attendees SET marketing_opted_in = $2, marketing_opted_in_at = $3,
                 marketing_opted_in_workshop = $4
             WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(i64::from(workshop_slug.is_some()))
        .bind(workshop_slug.map(|_| now))
        .bind(workshop_slug)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn find_attendee(&self, user_id: &str) -> Result<Option<Attendee>, DbError> {
        let sql = format!("SELECT {ATTENDEE_COLUMNS} FROM attendees WHERE user_id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }
}
