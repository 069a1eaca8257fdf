//! The organiser's CSV exports, streamed a page of rows at a time (a workshop of
//! thousands never sits in memory): `/admin/<slug>/claims.csv` — who claimed, when, the
//! status, spend and limits (with what top-ups added), OpenRouter's masked key label and the first 8 characters of
//! the key hash, never a plaintext key or a whole hash — and `/admin/<slug>/opt-ins.csv`,
//! only the attendees who opted in to marketing at this workshop, with the time.
//!
//! Admin-only, checked like the admin server functions: 401 signed out, 403 for anyone
//! else and for a workshop that does not exist. Never cached. The records and their
//! formula guard: [`csv`].

mod csv;

use axum::{
    body::Body,
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat};
use futures_util::{stream, StreamExt};

use engine::access::is_admin_of;
use engine::db::row_status::row_status;
use engine::db::{shown_label, AdminRow, DbError};
use engine::registry::Workshop;
use engine::session::session_attendee;
use engine::state::AppState;

use csv::{number, text};

/// Rows fetched per database round trip while streaming.
const PAGE: i64 = 500;

/// Where the next page starts: after this (time, user id).
type Cursor = Option<(i64, String)>;

pub async fn claims_csv(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let workshop = match authorise(&app, &slug, &headers).await {
        Ok(workshop) => workshop,
        Err(refusal) => return refusal,
    };
    let database = app.database.clone();
    let slug = workshop.slug.clone();
    let body = paged_csv(
        "email,name,provider,claimed_at_utc,status,key_label,key_hash_prefix,limit_usd,\
         spent_usd,remaining_usd,topped_up_usd,usage_synced_at_utc,last_error\n",
        move |after| {
            let (database, slug) = (database.clone(), slug.clone());
            async move {
                let rows = database.export_page(&slug, after, PAGE).await?;
                let now = chrono::Utc::now().timestamp();
                let next = rows
                    .last()
                    .map(|row| (row.attendance.attended_at, row.attendance.user_id.clone()));
                Ok((
                    rows.iter().map(|row| claim_line(row, now)).collect(),
                    next,
                    rows.len(),
                ))
            }
        },
    );
    csv_response(&format!("{}-claims.csv", workshop.slug), body)
}

pub async fn opt_ins_csv(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let workshop = match authorise(&app, &slug, &headers).await {
        Ok(workshop) => workshop,
        Err(refusal) => return refusal,
    };
    let database = app.database.clone();
    let slug = workshop.slug.clone();
    let body = paged_csv("email,name,opted_in_at_utc,workshop\n", move |after| {
        let (database, slug) = (database.clone(), slug.clone());
        async move {
            let rows = database.opt_ins_page(&slug, after, PAGE).await?;
            let next = rows
                .last()
                .map(|row| (row.opted_in_at, row.user_id.clone()));
            let lines = rows
                .iter()
                .map(|row| {
                    csv::line(&[
                        text(row.email.clone()),
                        text(row.display_name.clone().unwrap_or_default()),
                        text(utc(Some(row.opted_in_at))),
                        text(slug.clone()),
                    ])
                })
                .collect();
            Ok((lines, next, rows.len()))
        }
    });
    csv_response(&format!("{}-opt-ins.csv", workshop.slug), body)
}

/// A CSV body streamed a page at a time: `header`, then the lines of each page `fetch`
/// returns (lines, where the next page starts, rows read) until a short page. A database
/// failure mid-way ends the download with an error, so the file is visibly incomplete
/// rather than silently short.
fn paged_csv<F, Fut>(header: &'static str, fetch: F) -> Body
where
    F: Fn(Cursor) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<(String, Cursor, usize), DbError>> + Send + 'static,
{
    enum Step {
        Header,
        Page(Cursor),
        Done,
    }
    let chunks = stream::unfold(Step::Header, move |step| {
        let fetch = fetch.clone();
        async move {
            match step {
                Step::Done => None,
                Step::Header => Some((Ok(header.to_string()), Step::Page(None))),
                Step::Page(after) => match fetch(after).await {
                    Ok((text, next, rows)) => {
                        let step = match next {
                            Some(next) if rows as i64 == PAGE => Step::Page(Some(next)),
                            _ => Step::Done,
                        };
                        Some((Ok(text), step))
                    }
                    Err(error) => {
                        tracing::error!(%error, "a CSV export failed mid-way");
                        Some((Err(std::io::Error::other("export failed")), Step::Done))
                    }
                },
            }
        }
    });
    // Fused: the compression layer may poll once more after the end.
    Body::from_stream(chunks.fuse())
}

/// The workshop, if the caller is signed in and one of its admins.
async fn authorise(
    app: &AppState,
    slug: &str,
    headers: &HeaderMap,
) -> Result<std::sync::Arc<Workshop>, Response> {
    let now = chrono::Utc::now().timestamp();
    let attendee = match session_attendee(&app.database, app.session_cookie, headers, now).await {
        Ok(Some(attendee)) => attendee,
        Ok(None) => return Err((StatusCode::UNAUTHORIZED, "Please sign in first.").into_response()),
        Err(error) => {
            tracing::error!(%error, "session lookup failed");
            return Err(
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.").into_response()
            );
        }
    };
    match app.registry.get(slug) {
        Some(workshop) if is_admin_of(app, &attendee, &workshop) => Ok(workshop),
        _ => Err((StatusCode::FORBIDDEN, "You are not allowed to do that.").into_response()),
    }
}

fn claim_line(row: &AdminRow, now: i64) -> String {
    let attendance = &row.attendance;
    let micros = |value: Option<i64>| {
        number(
            value
                .map(|micros| format!("{:.6}", micros as f64 / 1e6))
                .unwrap_or_default(),
        )
    };
    let fields = [
        text(row.email.clone()),
        text(row.display_name.clone().unwrap_or_default()),
        text(row.auth_provider.clone()),
        text(utc(Some(attendance.attended_at))),
        text(row_status(attendance, now).as_str()),
        text(
            attendance
                .key_label
                .as_deref()
                .map(shown_label)
                .unwrap_or_default(),
        ),
        text(
            attendance
                .key_hash()
                .map(|hash| hash.chars().take(8).collect::<String>())
                .unwrap_or_default(),
        ),
        micros(Some(attendance.limit_usd_micros)),
        micros(attendance.usage_usd_micros),
        micros(attendance.limit_remaining_usd_micros),
        micros(Some(attendance.topped_up_usd_micros)),
        text(utc(attendance.usage_synced_at)),
        text(attendance.last_error.clone().unwrap_or_default()),
    ];
    csv::line(&fields)
}

fn utc(seconds: Option<i64>) -> String {
    seconds
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .map(|time| time.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn csv_response(filename: &str, body: Body) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
