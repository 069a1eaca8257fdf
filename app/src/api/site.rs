//! Facts about the running site and the visitor that every page needs, in one call.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// True when the server runs on its OpenRouter simulator with demo sign-in.
    pub demo_mode: bool,
    pub user: Option<CurrentUser>,
}

/// The signed-in person as pages show them. No ids or tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub display_name: String,
    pub email: String,
    /// `google`, `github` or `demo`.
    pub provider: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethodsInfo {
    pub google: bool,
    pub github: bool,
    pub demo: bool,
}

#[server(endpoint = "get_site_info")]
pub async fn get_site_info() -> Result<SiteInfo, AppError> {
    use crate::server::{auth::current_attendee, state::app_state};

    let state = app_state()?;
    let user = current_attendee(&state).await?.map(|attendee| CurrentUser {
        display_name: attendee
            .display_name
            .clone()
            .unwrap_or_else(|| attendee.email.clone()),
        email: attendee.email,
        provider: attendee.auth_provider,
    });
    Ok(SiteInfo {
        demo_mode: state.demo_mode,
        user,
    })
}

#[server(endpoint = "get_sign_in_methods")]
pub async fn get_sign_in_methods() -> Result<SignInMethodsInfo, AppError> {
    let methods = crate::server::state::app_state()?.sign_in_methods;
    Ok(SignInMethodsInfo {
        google: methods.google,
        github: methods.github,
        demo: methods.demo,
    })
}
