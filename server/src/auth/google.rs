//! Google sign-in through OpenID Connect: discovery from a configurable issuer,
//! authorization code flow with PKCE, `state` and `nonce`, ID token signature and claims
//! checked by `openidconnect`, and `email_verified` required. User id `google:<sub>`.

use std::time::{Duration, Instant};

use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::Response,
    Extension, Form,
};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tokio::sync::RwLock;

use engine::secret::Secret;
use engine::state::AppState;

use super::flow::{self, SignInIntent, StartRequest, VerifiedIdentity};
use super::{SignInError, SignInProviders};

/// Provider metadata (endpoints and signing keys) is fetched once and reused for this
/// long, so a room of attendees signing in does not hammer the discovery endpoint.
const METADATA_TTL: Duration = Duration::from_secs(3600);

pub struct GoogleSignIn {
    issuer: String,
    client_id: String,
    client_secret: Secret,
    redirect_url: String,
    http: reqwest::Client,
    metadata: RwLock<Option<(Instant, CoreProviderMetadata)>>,
}

impl GoogleSignIn {
    pub fn new(
        issuer: &str,
        client_id: &str,
        client_secret: Secret,
        public_url: &str,
        http: reqwest::Client,
    ) -> Self {
        GoogleSignIn {
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret,
            redirect_url: format!("{public_url}/auth/google/callback"),
            http,
            metadata: RwLock::new(None),
        }
    }

    async fn metadata(&self) -> Result<CoreProviderMetadata, SignInError> {
        if let Some((fetched, metadata)) = self.metadata.read().await.as_ref() {
            if fetched.elapsed() < METADATA_TTL {
                return Ok(metadata.clone());
            }
        }
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|error| SignInError::Internal(error.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|error| {
                SignInError::ProviderUnavailable(format!("discovery failed: {error}"))
            })?;
        *self.metadata.write().await = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// Forget the cached metadata: after a signature failure the provider may have
    /// rotated its keys, so the next attempt fetches them afresh.
    async fn forget_metadata(&self) {
        *self.metadata.write().await = None;
    }

    async fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        SignInError,
    > {
        let redirect = RedirectUrl::new(self.redirect_url.clone())
            .map_err(|error| SignInError::Internal(error.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata().await?,
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.expose().to_string())),
        )
        .set_redirect_uri(redirect))
    }
}

/// `GET /auth/google/start?next=/w/<slug>`: off to Google.
pub async fn start(
    State(app): State<AppState>,
    Extension(providers): Extension<SignInProviders>,
    Query(query): Query<StartRequest>,
) -> Response {
    let intent = SignInIntent::plain(query.next());
    start_with(&app, &providers, intent).await
}

/// `POST /auth/google/start` from a workshop page: sign in, and claim on the way back.
pub async fn start_and_claim(
    State(app): State<AppState>,
    Extension(providers): Extension<SignInProviders>,
    Form(form): Form<StartRequest>,
) -> Response {
    let intent = SignInIntent::from_form(&app, &form);
    start_with(&app, &providers, intent).await
}

async fn start_with(app: &AppState, providers: &SignInProviders, intent: SignInIntent) -> Response {
    let Some(google) = &providers.google else {
        return SignInError::NotEnabled.into_redirect("google", &intent.next);
    };
    match begin(app, google, &intent).await {
        Ok(response) => response,
        Err(error) => error.into_redirect("google", &intent.next),
    }
}

async fn begin(
    app: &AppState,
    google: &GoogleSignIn,
    intent: &SignInIntent,
) -> Result<Response, SignInError> {
    let client = google.client().await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = Nonce::new_random();
    let started = flow::begin(
        app,
        "google",
        verifier.secret().clone(),
        Some(nonce.secret().clone()),
        intent,
    );
    let state = started.state.clone();
    let (url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || nonce,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(flow::redirect_with_cookie(url.as_str(), &started.cookie))
}

/// `GET /auth/google/callback`: back from the provider with a code (or an error).
pub async fn callback(
    State(app): State<AppState>,
    Extension(providers): Extension<SignInProviders>,
    headers: HeaderMap,
    Query(query): Query<flow::CallbackQuery>,
) -> Response {
    let Some(google) = providers.google else {
        return SignInError::NotEnabled.into_redirect("google", "/");
    };
    flow::finish(
        &app,
        "google",
        &headers,
        query,
        |code, attempt| async move {
            let nonce = attempt.nonce.unwrap_or_default();
            verify(&google, code, attempt.pkce_verifier, nonce).await
        },
    )
    .await
}

async fn verify(
    google: &GoogleSignIn,
    code: String,
    verifier: String,
    nonce: String,
) -> Result<VerifiedIdentity, SignInError> {
    let client = google.client().await?;
    let request = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|error| SignInError::Internal(error.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier));
    let tokens = request
        .request_async(&google.http)
        .await
        .map_err(|error| match error {
            openidconnect::RequestTokenError::ServerResponse(response) => SignInError::Expired(
                format!("token endpoint refused the code: {}", response.error()),
            ),
            other => SignInError::ProviderUnavailable(format!("token request failed: {other}")),
        })?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| SignInError::InvalidToken("no ID token in the response".into()))?;
    let verifier = client.id_token_verifier();
    let claims = match id_token.claims(&verifier, &Nonce::new(nonce)) {
        Ok(claims) => claims,
        Err(error) => {
            google.forget_metadata().await;
            return Err(SignInError::InvalidToken(format!(
                "ID token rejected: {error}"
            )));
        }
    };
    let email = claims
        .email()
        .map(|email| email.as_str().to_string())
        .ok_or(SignInError::UnverifiedEmail)?;
    if claims.email_verified() != Some(true) {
        return Err(SignInError::UnverifiedEmail);
    }
    let display_name = claims
        .name()
        .and_then(|name| name.get(None))
        .map(|name| name.as_str().to_string());
    Ok(VerifiedIdentity {
        provider: "google",
        subject: claims.subject().as_str().to_string(),
        email,
        display_name,
    })
}
