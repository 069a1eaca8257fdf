//! The parts every provider shares: remembering a sign-in between the redirect and the
//! callback, checking `state`, and finishing with an attendee record and a session.

use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Redirect, Response},
};

use engine::db::{Attendee, SignedInAttendee};
use engine::email::normalize_email;
use engine::session::{cookie_value, end_session, new_token, start_session};
use engine::state::AppState;
use engine::telemetry::short_id;
use wire::local_path::safe_next_path;

use std::future::Future;

use serde::Deserialize;

use super::attempt::LoginAttempt;
use super::SignInError;

/// The cookie that carries a sign-in in progress ([`LoginAttempt`], sealed), `__Host-`
/// prefixed behind https.
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

/// What a sign-in start asks: where to go afterwards, and — only from a form post, never
/// from a link — a workshop to claim at once ("Sign in and claim") with the marketing
/// choice ticked next to it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StartRequest {
    next: Option<String>,
    claim: Option<String>,
    marketing_opt_in: Option<String>,
}

impl StartRequest {
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }
}

/// Where a sign-in leads, checked: a local path, and a workshop that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInIntent {
    pub next: String,
    pub claim_slug: Option<String>,
    pub marketing_opt_in: bool,
}

impl SignInIntent {
    /// A plain sign-in that returns to `next` (a link's query: never a claim).
    pub fn plain(next: Option<&str>) -> Self {
        SignInIntent {
            next: safe_next_path(next),
            claim_slug: None,
            marketing_opt_in: false,
        }
    }

    /// From a "Sign in and claim" form post. An unknown workshop is no claim.
    pub fn from_form(app: &AppState, form: &StartRequest) -> Self {
        let claim_slug = form
            .claim
            .as_deref()
            .filter(|slug| app.registry.get(slug).is_some())
            .map(str::to_string);
        let next = match (&claim_slug, form.next.as_deref()) {
            (_, Some(next)) => safe_next_path(Some(next)),
            (Some(slug), None) => format!("/w/{slug}"),
            (None, None) => "/".to_string(),
        };
        SignInIntent {
            next,
            marketing_opt_in: claim_slug.is_some()
                && form
                    .marketing_opt_in
                    .as_deref()
                    .is_some_and(|value| !value.is_empty()),
            claim_slug,
        }
    }

    fn from_attempt(attempt: &LoginAttempt) -> Self {
        SignInIntent {
            next: safe_next_path(Some(&attempt.next_path)),
            claim_slug: attempt.claim_slug.clone(),
            marketing_opt_in: attempt.marketing_opt_in,
        }
    }
}

/// Starts a sign-in about to leave for the provider: returns the `state` to send and
/// the cookie that must come back with it, which carries the whole attempt, sealed. A
/// new start replaces the browser's previous one: one sign-in in flight per browser.
pub fn begin(
    app: &AppState,
    provider: &str,
    pkce_verifier: String,
    nonce: Option<String>,
    intent: &SignInIntent,
) -> Started {
    let attempt = LoginAttempt {
        state: new_token(),
        provider: provider.to_string(),
        pkce_verifier,
        nonce,
        next_path: intent.next.clone(),
        created_at: now(),
        claim_slug: intent.claim_slug.clone(),
        marketing_opt_in: intent.marketing_opt_in,
    };
    let cookie = app.session_cookie.build(
        &app.session_cookie.prefixed(LOGIN_COOKIE),
        &attempt.seal(&app.sign_in_keys),
        LOGIN_ATTEMPT_MAX_AGE_SECONDS,
    );
    Started {
        state: attempt.state,
        cookie,
    }
}

/// Opens this browser's sealed attempt and checks the callback's `state` against it.
pub fn resume(
    app: &AppState,
    provider: &str,
    headers: &HeaderMap,
    returned_state: Option<&str>,
) -> Result<LoginAttempt, SignInError> {
    let sealed = cookie_value(headers, &app.session_cookie.prefixed(LOGIN_COOKIE))
        .ok_or(SignInError::StateMismatch)?;
    let attempt =
        LoginAttempt::open(&sealed, &app.sign_in_keys).ok_or(SignInError::StateMismatch)?;
    let returned = returned_state.ok_or(SignInError::StateMismatch)?;
    if !attempt.matches_state(returned) || attempt.provider != provider {
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
    let attempt = match resume(app, provider, headers, query.state.as_deref()) {
        Ok(attempt) => attempt,
        Err(error) => return error.into_redirect(provider, "/"),
    };
    let intent = SignInIntent::from_attempt(&attempt);
    let next = intent.next.clone();
    let result = async {
        if let Some(error) = query.error {
            return Err(if error == "access_denied" {
                SignInError::Denied
            } else {
                SignInError::ProviderUnavailable(format!(
                    "provider error `{}`",
                    super::error::loggable_code(&error)
                ))
            });
        }
        let code = query
            .code
            .ok_or_else(|| SignInError::InvalidToken("no code in the callback".into()))?;
        let identity = verify(code, attempt).await?;
        complete(app, headers, identity, &intent).await
    }
    .await;
    result.unwrap_or_else(|error| error.into_redirect(provider, &next))
}

/// Records the attendee, starts a fresh session, makes the claim the sign-in was started
/// for (if any), and sends the browser on. Any session the browser already had is ended
/// first: a session id is never carried across a sign-in (session fixation).
pub async fn complete(
    app: &AppState,
    headers: &HeaderMap,
    identity: VerifiedIdentity,
    intent: &SignInIntent,
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
    let internal = |error: engine::db::DbError| SignInError::Internal(error.to_string());
    let now = now();
    app.database
        .delete_expired_sign_in_state(now, LOGIN_ATTEMPT_MAX_AGE_SECONDS)
        .await
        .map_err(internal)?;
    let signed_in = app
        .database
        .upsert_attendee(&attendee, now)
        .await
        .map_err(internal)?;
    end_session(&app.database, app.session_cookie, headers)
        .await
        .map_err(internal)?;
    let token = start_session(&app.database, &attendee.user_id, now)
        .await
        .map_err(internal)?;
    tracing::info!(user = %short_id(&attendee.user_id), provider = identity.provider, "signed in");
    if let Some(slug) = &intent.claim_slug {
        claim_on_arrival(app, signed_in, slug, intent.marketing_opt_in).await;
    }

    let mut response = Redirect::to(&intent.next).into_response();
    append_cookie(&mut response, &app.session_cookie.set(&token));
    append_cookie(
        &mut response,
        &app.session_cookie
            .build(&app.session_cookie.prefixed(LOGIN_COOKIE), "", 0),
    );
    Ok(response)
}

/// "Sign in and claim": the claim runs before the browser lands on the workshop page, so
/// the page opens with the key. A refusal (sold out, another domain, OpenRouter down) is
/// not a sign-in failure: the page shows it, and a kept place is finished by the sweep.
async fn claim_on_arrival(app: &AppState, attendee: Attendee, slug: &str, marketing_opt_in: bool) {
    let Some(workshop) = app.registry.get(slug) else {
        return;
    };
    if marketing_opt_in && workshop.marketing_opt_in_text.is_some() {
        if let Err(error) = app
            .database
            .set_marketing_opt_in(&attendee.user_id, Some(slug), now())
            .await
        {
            tracing::error!(%error, "recording a marketing opt-in failed");
        }
    }
    tracing::Span::current().record("slug", slug);
    if let Err(error) = app.minter.claim(workshop, attendee, app.clock.now()).await {
        tracing::info!(%error, "the claim made with the sign-in did not end with a key");
    }
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
