//! Demo sign-in (demo mode only): a form that signs you in as any name and email, so the
//! whole product can be tried alone. Signing in as an admin listed in a workshop file
//! (the demo workshop lists `organiser@example.com`) opens that workshop's admin page.

use axum::{extract::State, http::HeaderMap, response::Response, Extension, Form};
use serde::Deserialize;

use app::server::email::normalize_email;
use app::server::state::AppState;

use super::flow::{self, VerifiedIdentity};
use super::{safe_next_path, SignInError, SignInProviders};

#[derive(Deserialize)]
pub struct DemoSignIn {
    name: String,
    email: String,
    next: Option<String>,
}

/// `POST /auth/demo`.
pub async fn sign_in(
    State(app): State<AppState>,
    Extension(providers): Extension<SignInProviders>,
    headers: HeaderMap,
    Form(form): Form<DemoSignIn>,
) -> Response {
    let next = safe_next_path(form.next.as_deref());
    if !providers.demo {
        return SignInError::NotEnabled.into_redirect("demo", &next);
    }
    let Some(normalized) = normalize_email(&form.email) else {
        return SignInError::InvalidToken("the demo form's email is not an address".into())
            .into_redirect("demo", &next);
    };
    let identity = VerifiedIdentity {
        provider: "demo",
        subject: normalized,
        email: form.email.trim().to_string(),
        display_name: Some(form.name.trim().chars().take(80).collect()),
    };
    flow::complete(&app, &headers, identity, &next)
        .await
        .unwrap_or_else(|error| error.into_redirect("demo", &next))
}
