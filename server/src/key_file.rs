//! `GET /w/<slug>/key.env`: the attendee's `.env` file as a download, for the key card's
//! "Download .env" — a plain link, so it works without JavaScript. Only for the signed-in
//! owner of the key; never cached.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Redirect, Response},
};

use engine::claims::{known_workshop, my_claim};
use engine::session::session_attendee;
use engine::state::AppState;
use wire::model::snippets::dot_env;

pub async fn download(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(workshop) = known_workshop(&app, &slug) else {
        return Redirect::to("/").into_response();
    };
    let page = format!("/w/{}", workshop.slug);
    let now = chrono::Utc::now().timestamp();
    let attendee = match session_attendee(&app.database, app.session_cookie, &headers, now).await {
        Ok(Some(attendee)) => attendee,
        Ok(None) => {
            let query = serde_urlencoded::to_string([("next", page.as_str())]).unwrap_or_default();
            return Redirect::to(&format!("/signin?{query}")).into_response();
        }
        Err(error) => {
            tracing::error!(%error, "session lookup failed");
            return Redirect::to(&page).into_response();
        }
    };
    let Ok(Some(key)) = my_claim(&app, &workshop.slug, Some(&attendee)).await else {
        return Redirect::to(&page).into_response();
    };
    let model = workshop.allowed_models.first().cloned().unwrap_or_default();
    let body = format!(
        "# Your OpenRouter key for \"{}\" (Workshop Key Minter). Keep this file private.\n{}",
        workshop.title,
        dot_env(&key.key, &model)
    );
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}.env\"", workshop.slug))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
