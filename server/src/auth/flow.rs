//! The parts every provider shares: remembering a sign-in between the redirect and the
//! callback, checking `state`, and finishing with an attendee record and a session.

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Redirect, Response},
};

use app::server::db::{LoginAttempt, SignedInAttendee};
use app::server::email::normalize_email;
use app::server::session::{cookie_value, end_session, hash_token, new_token, start_session};
use app::server::state::AppState;

use std::future::Future;

use serde::Deserialize;

use super::SignInError;

/// The cookie that ties a callback to the browser that started the sign-in.
const LOGIN_COOKIE: &str = "wkm_login";
/// A sign-in must come back from the provider within this time.
pub const LOGIN_ATTEMPT_MAX_AGE_SECONDS: i64 = 600;

/// What a provider vouches for, after all of its checks passed.
#[derive(Debug, Clone)]
pub struct VerifiedIdentity {
    /// `google`, `github`, `demo`.
    pub provider: &'static str,
    /// The provider's stable subject (`sub`, numeric GitHub id, demo email).
    pub subject: String,
    pub email: String,
    pub display_name: Option<String>,
}

pub struct Started {
    pub state: String,
    pub cookie: String,
}

/// Records a sign-in about to leave for the provider; returns the `state` to send and
/// the cookie that must come back with it.
pub async fn begin(
    app: &AppState,
    provider: &str,
    pkce_verifier: String,
    nonce: Option<String>,
    next_path: String,
) -> Result<Started, SignInError> {
    let state = new_token();
    let attempt = LoginAttempt {
        provider: provider.to_string(),
        pkce_verifier,
        nonce,
        next_path,
        created_at: now(),
    };
    app.database
        .insert_login_attempt(&hash_token(&state), &attempt)
        .await
        .map_err(|error| SignInError::Internal(error.to_string()))?;
    let cookie = app
        .session_cookie
        .build(LOGIN_COOKIE, &state, LOGIN_ATTEMPT_MAX_AGE_SECONDS);
    Ok(Started { state, cookie })
}

/// Checks the callback's `state` against this browser's cookie and takes the attempt
/// (each can be used once).
pub async fn resume(
    app: &AppState,
    provider: &str,
    headers: &HeaderMap,
    returned_state: Option<&str>,
) -> Result<LoginAttempt, SignInError> {
    let expected = cookie_value(headers, LOGIN_COOKIE).ok_or(SignInError::StateMismatch)?;
    let returned = returned_state.ok_or(SignInError::StateMismatch)?;
    if expected != returned {
        return Err(SignInError::StateMismatch);
    }
    let attempt = app
        .database
        .take_login_attempt(&hash_token(returned))
        .await
        .map_err(|error| SignInError::Internal(error.to_string()))?
        .ok_or(SignInError::StateMismatch)?;
    if attempt.provider != provider {
        return Err(SignInError::StateMismatch);
    }
    if now() - attempt.created_at > LOGIN_ATTEMPT_MAX_AGE_SECONDS {
        return Err(SignInError::Expired(
            "the sign-in attempt is older than 10 minutes".into(),
        ));
    }
    Ok(attempt)
}

/// What a provider sends back to its callback URL.
#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The callback every provider shares: checks `state`, turns a provider's error into a
/// reason, lets the provider turn the code into a verified identity, and completes.
pub async fn finish<Verify, Verified>(
    app: &AppState,
    provider: &'static str,
    headers: &HeaderMap,
    query: CallbackQuery,
    verify: Verify,
) -> Response
where
    Verify: FnOnce(String, LoginAttempt) -> Verified,
    Verified: Future<Output = Result<VerifiedIdentity, SignInError>>,
{
    let attempt = match resume(app, provider, headers, query.state.as_deref()).await {
        Ok(attempt) => attempt,
        Err(error) => return error.into_redirect(provider, "/"),
    };
    let next = attempt.next_path.clone();
    let result = async {
        if let Some(error) = query.error {
            return Err(if error == "access_denied" {
                SignInError::Denied
            } else {
                SignInError::ProviderUnavailable(format!("provider error `{error}`"))
            });
        }
        let code = query
            .code
            .ok_or_else(|| SignInError::InvalidToken("no code in the callback".into()))?;
        let identity = verify(code, attempt).await?;
        complete(app, headers, identity, &next).await
    }
    .await;
    result.unwrap_or_else(|error| error.into_redirect(provider, &next))
}

/// Records the attendee, starts a fresh session and sends the browser on. Any session
/// the browser already had is ended first: a session id is never carried across a
/// sign-in (session fixation).
pub async fn complete(
    app: &AppState,
    headers: &HeaderMap,
    identity: VerifiedIdentity,
    next_path: &str,
) -> Result<Response, SignInError> {
    let email_normalized = normalize_email(&identity.email).ok_or_else(|| {
        SignInError::InvalidToken(format!("unusable email from {}", identity.provider))
    })?;
    let attendee = SignedInAttendee {
        user_id: format!("{}:{}", identity.provider, identity.subject),
        email: identity.email.trim().to_string(),
        email_normalized,
        display_name: identity.display_name.filter(|name| !name.trim().is_empty()),
        auth_provider: identity.provider.to_string(),
    };
    let internal = |error: app::server::db::DbError| SignInError::Internal(error.to_string());
    let now = now();
    app.database
        .delete_expired_sign_in_state(now, LOGIN_ATTEMPT_MAX_AGE_SECONDS)
        .await
        .map_err(internal)?;
    app.database
        .upsert_attendee(&attendee, now)
        .await
        .map_err(internal)?;
    end_session(&app.database, app.session_cookie, headers)
        .await
        .map_err(internal)?;
    let token = start_session(&app.database, &attendee.user_id, now)
        .await
        .map_err(internal)?;
    tracing::info!(user_id = %attendee.user_id, provider = identity.provider, "signed in");

    let mut response = Redirect::to(next_path).into_response();
    append_cookie(&mut response, &app.session_cookie.set(&token));
    append_cookie(
        &mut response,
        &app.session_cookie.build(LOGIN_COOKIE, "", 0),
    );
    Ok(response)
}

/// `POST /auth/signout`: ends the session in the database and clears the cookie.
pub async fn sign_out(State(app): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(error) = end_session(&app.database, app.session_cookie, &headers).await {
        tracing::error!(%error, "sign-out could not delete the session");
    }
    let mut response = Redirect::to("/").into_response();
    append_cookie(&mut response, &app.session_cookie.clear());
    response
}

pub fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// A redirect to the provider that also sets the sign-in cookie.
pub fn redirect_with_cookie(location: &str, cookie: &str) -> Response {
    let mut response = Redirect::to(location).into_response();
    append_cookie(&mut response, cookie);
    response
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
