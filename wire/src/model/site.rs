//! Facts about the running site and the visitor that every page needs.

use serde::{Deserialize, Serialize};

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
    /// Organises at least one workshop (or is a global admin): the header links to
    /// `/admin`.
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInMethodsInfo {
    pub google: bool,
    pub github: bool,
    pub demo: bool,
}

/// How a sign-in provider is named to people: "Google", "GitHub", "the demo sign-in".
pub fn provider_display_name(provider: &str) -> &str {
    match provider {
        "google" => "Google",
        "github" => "GitHub",
        "demo" => "the demo sign-in",
        other => other,
    }
}
