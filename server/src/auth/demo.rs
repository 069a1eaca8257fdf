//! Demo sign-in (demo mode only): a form that signs you in as any name and email, so the
//! whole product can be tried alone. Signing in as an admin listed in a workshop file
//! (the demo workshop lists `organiser@example.com`) opens that workshop's admin page.

use axum::{extract::State, http::HeaderMap, response::Response, Extension, Form};
use serde::Deserialize;

use engine::email::exact_address;
use engine::state::AppState;

use super::flow::{self, SignInIntent, StartRequest, VerifiedIdentity};
use super::{SignInError, SignInProviders};

#[derive(Deserialize)]
pub struct DemoSignIn {
    name: String,
    email: String,
    /// Where to go, and (from a workshop page) what to claim on the way.
    #[serde(flatten)]
    start: StartRequest,
}

/// `POST /auth/demo`: signs in, and with `claim=<slug>` claims in the same step.
pub async fn sign_in(
    State(app): State<AppState>,
    Extension(providers): Extension<SignInProviders>,
    headers: HeaderMap,
    Form(form): Form<DemoSignIn>,
) -> Response {
    let intent = SignInIntent::from_form(&app, &form.start);
    if !providers.demo {
        return SignInError::NotEnabled.into_redirect("demo", &intent.next);
    }
    let Some(address) = exact_address(&form.email) else {
        return SignInError::InvalidToken("the demo form's email is not an address".into())
            .into_redirect("demo", &intent.next);
    };
    let identity = VerifiedIdentity {
        provider: "demo",
        subject: address,
        email: form.email.trim().to_string(),
        display_name: Some(form.name.trim().chars().take(80).collect()),
    };
    flow::complete(&app, &headers, identity, &intent)
        .await
        .unwrap_or_else(|error| error.into_redirect("demo", &intent.next))
}
