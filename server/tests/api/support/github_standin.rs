//! A local stand-in for GitHub's OAuth endpoints and REST API, with the real response
//! shapes: `/login/oauth/authorize` (approves at once for the configured user, or denies),
//! `/login/oauth/access_token` (checks client secret and PKCE; a used or unknown code
//! gets GitHub's 200 + `bad_verification_code` body), `/user` and `/user/emails`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Json, Router,
};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "Iv1.wkmtestclient";
pub const CLIENT_SECRET: &str = "github-test-secret-not-real";

#[derive(Clone)]
pub struct GitHubUser {
    pub id: i64,
    pub login: String,
    pub name: Option<String>,
    /// `(email, primary, verified)` as `/user/emails` lists them.
    pub emails: Vec<(String, bool, bool)>,
}

#[derive(Default)]
struct Inner {
    user: Option<GitHubUser>,
    deny: bool,
    api_down: bool,
    /// code → code_challenge
    codes: HashMap<String, String>,
    tokens: HashMap<String, GitHubUser>,
    next_id: u64,
}

#[derive(Clone, Default)]
pub struct GitHubStandIn {
    inner: Arc<Mutex<Inner>>,
}

pub struct RunningStandIn {
    pub base_url: String,
    pub stand_in: GitHubStandIn,
    _server: tokio::task::JoinHandle<()>,
}

impl GitHubStandIn {
    pub async fn spawn() -> RunningStandIn {
        let stand_in = GitHubStandIn::default();
        let router = Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(access_token))
            .route("/user", get(user))
            .route("/user/emails", get(emails))
            .with_state(stand_in.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        RunningStandIn {
            base_url: format!("http://{address}"),
            stand_in,
            _server: server,
        }
    }

    /// The account the next authorization signs in as.
    pub fn sign_in_as(&self, user: GitHubUser) {
        let mut inner = self.inner.lock().unwrap();
        inner.user = Some(user);
        inner.deny = false;
    }

    /// The person presses "Cancel" on GitHub's authorize page.
    pub fn deny(&self) {
        self.inner.lock().unwrap().deny = true;
    }

    /// The REST API answers 503 from now on.
    pub fn take_api_down(&self) {
        self.inner.lock().unwrap().api_down = true;
    }
}

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

async fn authorize(
    State(github): State<GitHubStandIn>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    if query.client_id != CLIENT_ID {
        return (StatusCode::NOT_FOUND, "unknown client").into_response();
    }
    let separator = if query.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let state = urlencode(&query.state);
    let mut inner = github.inner.lock().unwrap();
    if inner.deny {
        return Redirect::to(&format!(
            "{}{separator}error=access_denied&error_description=The+user+has+denied+your+application+access.&state={state}",
            query.redirect_uri
        ))
        .into_response();
    }
    assert_eq!(
        query.code_challenge_method.as_deref(),
        Some("S256"),
        "PKCE with S256 is sent"
    );
    inner.next_id += 1;
    let code = format!("code{:016x}", inner.next_id);
    inner
        .codes
        .insert(code.clone(), query.code_challenge.unwrap_or_default());
    Redirect::to(&format!(
        "{}{separator}code={code}&state={state}",
        query.redirect_uri
    ))
    .into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    code: String,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

async fn access_token(
    State(github): State<GitHubStandIn>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let (client_id, client_secret) = basic_credentials(&headers).unwrap_or((
        form.client_id.clone().unwrap_or_default(),
        form.client_secret.clone().unwrap_or_default(),
    ));
    if client_id != CLIENT_ID || client_secret != CLIENT_SECRET {
        return Json(json!({"error": "incorrect_client_credentials", "error_description": "The client_id and/or client_secret passed are incorrect."})).into_response();
    }
    let mut inner = github.inner.lock().unwrap();
    let bad_code = Json(json!({
        "error": "bad_verification_code",
        "error_description": "The code passed is incorrect or expired.",
        "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"
    }));
    // Codes are single use, as on GitHub.
    let Some(challenge) = inner.codes.remove(&form.code) else {
        return bad_code.into_response();
    };
    let verifier = form.code_verifier.unwrap_or_default();
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if computed != challenge {
        return bad_code.into_response();
    }
    inner.next_id += 1;
    let token = format!("gho_{:036x}", inner.next_id);
    let user = inner
        .user
        .clone()
        .expect("a test chose the account with sign_in_as");
    inner.tokens.insert(token.clone(), user);
    Json(json!({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}))
        .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |part: &str| url_decode(part);
    Some((decode(id), decode(secret)))
}

fn authenticated(
    github: &GitHubStandIn,
    headers: &HeaderMap,
) -> Result<GitHubUser, (StatusCode, Json<Value>)> {
    let inner = github.inner.lock().unwrap();
    if inner.api_down {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"message": "Service unavailable"})),
        ));
    }
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("token "))
        })
        .unwrap_or_default();
    inner.tokens.get(token).cloned().ok_or_else(|| {
        (StatusCode::UNAUTHORIZED, Json(json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})))
    })
}

async fn user(State(github): State<GitHubStandIn>, headers: HeaderMap) -> Response {
    match authenticated(&github, &headers) {
        Ok(user) => Json(json!({
            "login": user.login,
            "id": user.id,
            "node_id": "MDQ6VXNlcjE=",
            "avatar_url": "https://avatars.githubusercontent.com/u/1?v=4",
            "type": "User",
            "site_admin": false,
            "name": user.name,
            "company": null,
            "email": null,
        }))
        .into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn emails(State(github): State<GitHubStandIn>, headers: HeaderMap) -> Response {
    match authenticated(&github, &headers) {
        Ok(user) => {
            let list: Vec<Value> = user
                .emails
                .iter()
                .map(|(email, primary, verified)| {
                    json!({"email": email, "primary": primary, "verified": verified, "visibility": if *primary { json!("private") } else { Value::Null }})
                })
                .collect();
            Json(list).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).unwrap()[2..].to_string()
}

fn url_decode(text: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={text}"))
        .ok()
        .and_then(|pairs| pairs.into_iter().next())
        .map(|(_, value)| value)
        .unwrap_or_default()
}
