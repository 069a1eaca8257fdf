//! Sign-in as plain axum routes: Google (OpenID Connect), GitHub (OAuth 2 + its user
//! API) and, in demo mode only, a demo form. Every flow ends in [`flow::complete`],
//! which records the attendee and starts a database-backed session.

mod attempt;
#[cfg(feature = "demo")]
mod demo;
mod error;
mod flow;
mod github;
mod google;

use std::sync::Arc;

use axum::{
    routing::{get, post},
    Extension, Router,
};

use crate::site_state::SiteState;
use engine::state::SignInMethods;

pub use error::SignInError;
pub use github::GitHubSignIn;
pub use google::GoogleSignIn;
pub use wire::local_path::safe_next_path;

/// The configured ways to sign in, shared by the auth routes.
#[derive(Clone, Default)]
pub struct SignInProviders {
    pub google: Option<Arc<GoogleSignIn>>,
    pub github: Option<Arc<GitHubSignIn>>,
    pub demo: bool,
}

impl SignInProviders {
    pub fn methods(&self) -> SignInMethods {
        SignInMethods {
            google: self.google.is_some(),
            github: self.github.is_some(),
            demo: self.demo,
        }
    }
}

pub fn router(providers: SignInProviders) -> Router<SiteState> {
    let router = Router::new()
        .route(
            "/auth/google/start",
            get(google::start).post(google::start_and_claim),
        )
        .route("/auth/google/callback", get(google::callback))
        .route(
            "/auth/github/start",
            get(github::start).post(github::start_and_claim),
        )
        .route("/auth/github/callback", get(github::callback))
        .route("/auth/signout", post(flow::sign_out));
    // A live deployment's binary has no demo sign-in at all, not just a disabled one.
    #[cfg(feature = "demo")]
    let router = router.route("/auth/demo", post(demo::sign_in));
    router.layer(Extension(providers))
}
