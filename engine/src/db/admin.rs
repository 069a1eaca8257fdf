//! The organiser's queries: a workshop's figures in one pass, a searched, filtered,
//! sorted page of its attendee table, the mark the live page polls, the inputs of its
//! charts, and the rows of its CSV exports. All of it reads; the writes of the actions
//! are the mint's and the usage sync's.

use std::sync::OnceLock;

use wire::model::RowStatus;

use super::attendance::ATTENDANCE_COLUMNS;
use super::{row_status, Attendance, Database, DbError};

/// A row with the attendee it belongs to, for the table and the exports.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdminRow {
    #[sqlx(flatten)]
    pub attendance: Attendance,
    pub email: String,
    pub display_name: Option<String>,
    pub auth_provider: String,
}

/// An attendee who opted in to marketing, for the opt-ins export.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OptIn {
    pub user_id: String,
    pub email: String,
    pub display_name: Option<String>,
    pub opted_in_at: i64,
}

/// A workshop's counts in one query (see `model::AdminFigures`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FigureCounts {
    pub claimed: i64,
    pub committed: i64,
    pub spent: i64,
    pub bound: i64,
    pub unbound: i64,
    pub preparing: i64,
    pub failed: i64,
    pub disabled: i64,
    pub last_sync: Option<i64>,
}

/// Which rows a status filter keeps. `now` decides whether a reservation's lease is live.
/// One page of the admin table, as asked of the database: search text (lowercase,
/// matched anywhere in email or name), a status (`row_status::condition`), an order,
/// and a page.
#[derive(Debug, Clone)]
pub struct ClaimsPageQuery<'a> {
    pub workshop_slug: &'a str,
    pub search: &'a str,
    pub status: Option<RowStatus>,
    pub order: &'static str,
    pub limit: i64,
    pub offset: i64,
    pub now: i64,
}

/// Orders the table can be sorted by.
pub const ORDER_NEWEST: &str = "wa.attended_at DESC, wa.user_id";
pub const ORDER_OLDEST: &str = "wa.attended_at ASC, wa.user_id";
pub const ORDER_MOST_SPENT: &str =
    "COALESCE(wa.usage_usd_micros, 0) DESC, wa.attended_at, wa.user_id";
pub const ORDER_LEAST_SPENT: &str =
    "COALESCE(wa.usage_usd_micros, 0) ASC, wa.attended_at, wa.user_id";

impl Database {
    pub async fn figure_counts(
        &self,
        workshop_slug: &str,
        now: i64,
    ) -> Result<FigureCounts, DbError> {
        static SQL: OnceLock<String> = OnceLock::new();
        let sql = SQL.get_or_init(|| {
            format!(
                "SELECT COUNT(*),
                 CAST(COALESCE(SUM(limit_usd_micros), 0) AS BIGINT),
                 CAST(COALESCE(SUM(usage_usd_micros), 0) AS BIGINT),
                 {},
                 MAX(usage_synced_at)
             FROM workshop_attendance WHERE workshop_slug = $1",
                row_status::count_columns()
            )
        });
        // The counts come in `RowStatus::ALL`'s order: bound, unbound, preparing,
        // failed, disabled.
        let row: (i64, i64, i64, i64, i64, i64, i64, i64, Option<i64>) = sqlx::query_as(sql)
            .bind(workshop_slug)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        Ok(FigureCounts {
            claimed: row.0,
            committed: row.1,
            spent: row.2,
            bound: row.3,
            unbound: row.4,
            preparing: row.5,
            failed: row.6,
            disabled: row.7,
            last_sync: row.8,
        })
    }

    /// One page of the table, and how many rows match in all.
    pub async fn table_page(
        &self,
        query: &ClaimsPageQuery<'_>,
    ) -> Result<(Vec<AdminRow>, i64), DbError> {
        let filter = table_filter(query);
        let pattern = format!("%{}%", escape_like(query.search));
        let count_sql = format!(
            "SELECT COUNT(*) FROM workshop_attendance wa JOIN attendees a ON a.user_id = wa.user_id
             WHERE {filter}"
        );
        let (total,): (i64,) = sqlx::query_as(&count_sql)
            .bind(query.workshop_slug)
            .bind(query.now)
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await?;
        let columns = ATTENDANCE_COLUMNS
            .split(',')
            .map(|column| format!("wa.{}", column.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, a.email, a.display_name, a.auth_provider
             FROM workshop_attendance wa JOIN attendees a ON a.user_id = wa.user_id
             WHERE {filter}
             ORDER BY {} LIMIT $4 OFFSET $5",
            query.order
        );
        let rows = sqlx::query_as(&sql)
            .bind(query.workshop_slug)
            .bind(query.now)
            .bind(&pattern)
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(&self.pool)
            .await?;
        Ok((rows, total))
    }

    /// Rows after `after` (attended_at, user_id) in claim order: the CSV export reads
    /// the whole table a page at a time, without OFFSET.
    pub async fn export_page(
        &self,
        workshop_slug: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<AdminRow>, DbError> {
        let columns = ATTENDANCE_COLUMNS
            .split(',')
            .map(|column| format!("wa.{}", column.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let (at, user) = after.unwrap_or((i64::MIN, String::new()));
        let sql = format!(
            "SELECT {columns}, a.email, a.display_name, a.auth_provider
             FROM workshop_attendance wa JOIN attendees a ON a.user_id = wa.user_id
             WHERE wa.workshop_slug = $1 AND (wa.attended_at > $2 OR (wa.attended_at = $2 AND wa.user_id > $3))
             ORDER BY wa.attended_at, wa.user_id LIMIT $4"
        );
        Ok(sqlx::query_as(&sql)
            .bind(workshop_slug)
            .bind(at)
            .bind(user)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// What the live page polls: cheap, and it moves with every change that matters.
    pub async fn change_mark(&self, workshop_slug: &str) -> Result<(i64, i64, i64, i64), DbError> {
        // The digest: statuses weighted apart (bound 1, minted 1000, reserved 10^6, each
        // disabled key 10^9, each mint attempt 10^12) plus the spend in micro-dollars.
        Ok(sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(MAX(updated_at), 0) AS BIGINT),
                 CAST(COALESCE(MAX(usage_synced_at), 0) AS BIGINT),
                 CAST(COALESCE(SUM(
                     CASE claim_status WHEN 'bound' THEN 1 WHEN 'minted' THEN 1000 ELSE 1000000 END
                     + COALESCE(key_disabled, 0) * 1000000000
                     + mint_attempts * 1000000000000
                     + COALESCE(usage_usd_micros, 0)), 0) AS BIGINT)
             FROM workshop_attendance WHERE workshop_slug = $1",
        )
        .bind(workshop_slug)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Claim times and spends of a workshop, for its charts.
    pub async fn chart_inputs(
        &self,
        workshop_slug: &str,
    ) -> Result<Vec<(i64, Option<i64>, i64)>, DbError> {
        Ok(sqlx::query_as(
            "SELECT attended_at, usage_usd_micros, limit_usd_micros
             FROM workshop_attendance WHERE workshop_slug = $1 ORDER BY attended_at",
        )
        .bind(workshop_slug)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The biggest spenders.
    pub async fn top_spenders(
        &self,
        workshop_slug: &str,
        limit: i64,
    ) -> Result<Vec<(String, Option<String>, i64, i64)>, DbError> {
        Ok(sqlx::query_as(
            "SELECT a.email, a.display_name, wa.usage_usd_micros, wa.limit_usd_micros
             FROM workshop_attendance wa JOIN attendees a ON a.user_id = wa.user_id
             WHERE wa.workshop_slug = $1 AND wa.usage_usd_micros > 0
             ORDER BY wa.usage_usd_micros DESC, wa.user_id LIMIT $2",
        )
        .bind(workshop_slug)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Attendees who opted in to marketing at this workshop, after `after` (time, user
    /// id) in opt-in order: the export reads them a page at a time.
    pub async fn opt_ins_page(
        &self,
        workshop_slug: &str,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<OptIn>, DbError> {
        let (at, user) = after.unwrap_or((i64::MIN, String::new()));
        Ok(sqlx::query_as(
            "SELECT user_id, email, display_name, marketing_opted_in_at AS opted_in_at
             FROM attendees
             WHERE marketing_opted_in = 1 AND marketing_opted_in_workshop = $1
               AND marketing_opted_in_at IS NOT NULL
               AND (marketing_opted_in_at > $2 OR (marketing_opted_in_at = $2 AND user_id > $3))
             ORDER BY marketing_opted_in_at, user_id LIMIT $4",
        )
        .bind(workshop_slug)
        .bind(at)
        .bind(user)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records that a key was disabled or enabled on OpenRouter.
    pub async fn set_key_disabled(
        &self,
        key_hash: &str,
        disabled: bool,
        now: i64,
    ) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE workshop_attendance SET key_disabled = $2, updated_at = $3, disabled_changed_at = $3
             WHERE or_key_hash = $1",
        )
        .bind(key_hash)
        .bind(i64::from(disabled))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn table_filter(query: &ClaimsPageQuery<'_>) -> String {
    let mut filter = String::from(
        "wa.workshop_slug = $1 AND ($3 = '%%' OR LOWER(a.email) LIKE $3 ESCAPE '\\' \
         OR LOWER(COALESCE(a.display_name, '')) LIKE $3 ESCAPE '\\')",
    );
    if let Some(status) = query.status {
        filter.push_str(" AND (");
        filter.push_str(row_status::condition(status));
        filter.push(')');
    } else {
        // Keeps `$2` bound in every form of the query.
        filter.push_str(" AND $2 = $2");
    }
    filter
}

/// `%`, `_` and `\` searched for literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

impl Database {
    /// One row of a workshop by its key name (the table's row id), with its attendee.
    pub async fn admin_row(
        &self,
        workshop_slug: &str,
        key_name: &str,
    ) -> Result<Option<AdminRow>, DbError> {
        let columns = ATTENDANCE_COLUMNS
            .split(',')
            .map(|column| format!("wa.{}", column.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, a.email, a.display_name, a.auth_provider
             FROM workshop_attendance wa JOIN attendees a ON a.user_id = wa.user_id
             WHERE wa.workshop_slug = $1 AND wa.key_name = $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(workshop_slug)
            .bind(key_name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The hashes of the workshop's keys that are not disabled.
    pub async fn enabled_key_hashes(&self, workshop_slug: &str) -> Result<Vec<String>, DbError> {
        Ok(sqlx::query_as::<_, (String,)>(
            "SELECT or_key_hash FROM workshop_attendance
             WHERE workshop_slug = $1 AND or_key_hash IS NOT NULL AND COALESCE(key_disabled, 0) = 0
             ORDER BY attended_at, user_id",
        )
        .bind(workshop_slug)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(hash,)| hash)
        .collect())
    }
}
