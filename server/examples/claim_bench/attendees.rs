//! Attendees signed in through demo sign-in, each with its own session cookie. Done
//! before the clock starts: only claims are measured.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Sign-ins in flight at once: enough to be quick, few enough not to need tuning.
const SIGN_IN_CONCURRENCY: usize = 16;

#[derive(Clone)]
pub struct Attendee {
    pub email: String,
    /// The value for a `Cookie` request header.
    pub cookie: String,
}

/// Signs in `count` distinct attendees (`<prefix>-0001@bench.example`, …), in order.
pub async fn sign_in_all(
    http: &reqwest::Client,
    base_url: &str,
    prefix: &str,
    count: usize,
) -> Result<Vec<Attendee>> {
    let permits = Arc::new(Semaphore::new(SIGN_IN_CONCURRENCY));
    let mut sign_ins = JoinSet::new();
    for index in 0..count {
        let (http, permits) = (http.clone(), Arc::clone(&permits));
        let url = format!("{base_url}/auth/demo");
        let email = format!("{prefix}-{:04}@bench.example", index + 1);
        sign_ins.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let cookie = sign_in(&http, &url, &email).await?;
            Ok::<_, anyhow::Error>((index, Attendee { email, cookie }))
        });
    }
    let mut attendees: Vec<Option<Attendee>> = (0..count).map(|_| None).collect();
    while let Some(joined) = sign_ins.join_next().await {
        let (index, attendee) = joined.context("a sign-in task panicked")??;
        attendees[index] = Some(attendee);
    }
    Ok(attendees.into_iter().flatten().collect())
}

async fn sign_in(http: &reqwest::Client, url: &str, email: &str) -> Result<String> {
    let name = email.split('@').next().unwrap_or(email);
    let response = http
        .post(url)
        .form(&[("name", name), ("email", email), ("next", "/")])
        .send()
        .await
        .with_context(|| format!("demo sign-in of {email} failed"))?;
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_string();
    let cookie = session_cookie(response.headers());
    match (status, cookie) {
        (StatusCode::SEE_OTHER, Some(cookie)) => Ok(cookie),
        _ => bail!(
            "demo sign-in of {email} answered {status} (Location: `{location}`) without a \
             session cookie"
        ),
    }
}

/// The cookies a response sets, as a `Cookie` header value. Cookies being cleared
/// (empty, or `Max-Age=0`) are left out: sign-in also clears its login-attempt cookie.
fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let pairs: Vec<&str> = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter(|cookie| !is_being_cleared(cookie))
        .filter_map(|cookie| cookie.split(';').next())
        .map(str::trim)
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(_, value)| !value.is_empty())
        })
        .collect();
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

fn is_being_cleared(set_cookie: &str) -> bool {
    set_cookie
        .split(';')
        .skip(1)
        .any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn the_session_cookie_is_kept_and_cleared_cookies_are_dropped() {
        let mut headers = HeaderMap::new();
        for cookie in [
            "wkm_session=abc123; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000",
            "wkm_login=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        ] {
            headers.append(SET_COOKIE, HeaderValue::from_static(cookie));
        }
        assert_eq!(
            session_cookie(&headers).as_deref(),
            Some("wkm_session=abc123")
        );
    }

    #[test]
    fn no_cookie_means_no_session() {
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("wkm_login=; Max-Age=0"),
        );
        assert_eq!(session_cookie(&headers), None);
    }
}
