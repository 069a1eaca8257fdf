//! GitHub sign-in through OAuth 2 (`oauth2` crate) with `state` and PKCE, then GitHub's
//! `/user` and `/user/emails` API. Only the **primary** address is used, and only when
//! GitHub has verified it: a verified secondary address is not picked in its place, so
//! the email we record is always the one the person chose as theirs. User id
//! `github:<numeric id>`.

use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::Response,
    Extension, Form,
};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;

use engine::secret::Secret;
use engine::state::AppState;

use super::flow::{self, SignInIntent, StartRequest, VerifiedIdentity};
use super::{SignInError, SignInProviders};

pub struct GitHubSignIn {
    client_id: String,
    client_secret: Secret,
    /// `https://github.com` (authorize and token endpoints live under it).
    oauth_base: String,
    /// `https://api.github.com`.
    api_base: String,
    redirect_url: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct GitHubUser {
    id: i64,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

impl GitHubSignIn {
    pub fn new(
        client_id: &str,
        client_secret: Secret,
        oauth_base: &str,
        api_base: &str,
        public_url: &str,
        http: reqwest::Client,
    ) -> Self {
        GitHubSignIn {
            client_id: client_id.to_string(),
            client_secret,
            oauth_base: oauth_base.trim_end_matches('/').to_string(),
            api_base: api_base.trim_end_matches('/').to_string(),
            redirect_url: format!("{public_url}/auth/github/callback"),
            http,
        }
    }

    fn client(
        &self,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        SignInError,
    > {
        let internal = |error: oauth2::url::ParseError| SignInError::Internal(error.to_string());
        Ok(BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().to_string()))
            .set_auth_uri(
                AuthUrl::new(format!("{}/login/oauth/authorize", self.oauth_base))
                    .map_err(internal)?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{}/login/oauth/access_token", self.oauth_base))
                    .map_err(internal)?,
            )
            .set_redirect_uri(RedirectUrl::new(self.redirect_url.clone()).map_err(internal)?))
    }

    async fn api<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
    ) -> Result<T, SignInError> {
        let url = format!("{}{path}", self.api_base);
        let response = self
            .http
            .get(&url)
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .header("user-agent", "workshop-key-minter")
            .send()
            .await
            .map_err(|error| SignInError::ProviderUnavailable(format!("GET {path}: {error}")))?;
        let status = response.status();
        if !status.is_success() {
            return Err(SignInError::ProviderUnavailable(format!(
                "GET {path} answered {status}"
            )));
        }
        response.json().await.map_err(|error| {
            SignInError::ProviderUnavailable(format!("GET {path}: unreadable body: {error}"))
        })
    }
}

/// `GET /auth/github/start?next=/w/<slug>`: off to GitHub.
pub async fn start(
    State(app): State<AppState>,
    Extension(providers): Extension<SignInProviders>,
    Query(query): Query<StartRequest>,
) -> Response {
    let intent = SignInIntent::plain(query.next());
    start_with(&app, &providers, intent).await
}

/// `POST /auth/github/start` from a workshop page: sign in, and claim on the way back.
pub async fn start_and_claim(
    State(app): State<AppState>,
    Extension(providers): Extension<SignInProviders>,
    Form(form): Form<StartRequest>,
) -> Response {
    let intent = SignInIntent::from_form(&app, &form);
    start_with(&app, &providers, intent).await
}

async fn start_with(app: &AppState, providers: &SignInProviders, intent: SignInIntent) -> Response {
    let Some(github) = &providers.github else {
        return SignInError::NotEnabled.into_redirect("github", &intent.next);
    };
    let result = async {
        let client = github.client()?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let started = flow::begin(app, "github", verifier.secret().clone(), None, &intent);
        let state = started.state.clone();
        let (url, _) = client
            .authorize_url(move || CsrfToken::new(state))
            .add_scope(Scope::new("read:user".into()))
            .add_scope(Scope::new("user:email".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok::<_, SignInError>(flow::redirect_with_cookie(url.as_str(), &started.cookie))
    }
    .await;
    result.unwrap_or_else(|error| error.into_redirect("github", &intent.next))
}

/// `GET /auth/github/callback`: back from the provider with a code (or an error).
pub async fn callback(
    State(app): State<AppState>,
    Extension(providers): Extension<SignInProviders>,
    headers: HeaderMap,
    Query(query): Query<flow::CallbackQuery>,
) -> Response {
    let Some(github) = providers.github else {
        return SignInError::NotEnabled.into_redirect("github", "/");
    };
    flow::finish(
        &app,
        "github",
        &headers,
        query,
        |code, attempt| async move { verify(&github, code, attempt.pkce_verifier).await },
    )
    .await
}

async fn verify(
    github: &GitHubSignIn,
    code: String,
    verifier: String,
) -> Result<VerifiedIdentity, SignInError> {
    let tokens = github
        .client()?
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&github.http)
        .await
        .map_err(|error| match error {
            // GitHub answers a used or expired code with an error body (`bad_verification_code`).
            oauth2::RequestTokenError::ServerResponse(response) => SignInError::Expired(format!(
                "token endpoint refused the code: {}",
                response.error()
            )),
            oauth2::RequestTokenError::Parse(_, _) => {
                SignInError::Expired("token endpoint refused the code".into())
            }
            other => SignInError::ProviderUnavailable(format!("token request failed: {other}")),
        })?;
    let token = tokens.access_token().secret();
    let user: GitHubUser = github.api("/user", token).await?;
    let emails: Vec<GitHubEmail> = github.api("/user/emails", token).await?;
    let primary = emails
        .into_iter()
        .find(|email| email.primary)
        .ok_or(SignInError::NoVerifiedEmail)?;
    if !primary.verified {
        return Err(SignInError::NoVerifiedEmail);
    }
    Ok(VerifiedIdentity {
        provider: "github",
        subject: user.id.to_string(),
        email: primary.email,
        display_name: user.name.or(Some(user.login)),
    })
}
