//! "Sign in with Google" end to end against a real, certified OpenID Connect provider
//! (`oidc-provider` from npm) on localhost: discovery, code flow with PKCE, state, nonce,
//! ID token signature and `email_verified`.

use crate::support::browser::{assert_refused, query_param, with_query_param, Browser, Landing};
use crate::support::oidc_peer::{OidcPeer, CLIENT_ID, CLIENT_SECRET};
use crate::support::{live_settings, open_workshop, reserve_listener, TestApp, TestAppBuilder};
use engine::secret::Secret;
use server::config::OAuthClient;

const VERIFIED: &str = "ada-sub-1";
const UNVERIFIED: &str = "mallory-sub-2";
const CANCEL: &str = "__deny";

async fn start(rogue_jwks: bool) -> (TestApp, OidcPeer) {
    let (listener, base_url) = reserve_listener();
    let peer = OidcPeer::start(&format!("{base_url}/auth/google/callback"), rogue_jwks).await;
    let app = app_with_issuer(&peer.issuer, listener).await;
    (app, peer)
}

async fn app_with_issuer(issuer: &str, listener: std::net::TcpListener) -> TestApp {
    let mut settings = live_settings();
    settings.google = Some(OAuthClient {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
    });
    settings.google_issuer_url = issuer.to_string();
    TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .live(settings)
        .spawn_on(listener)
        .await
}

/// From our start URL to the provider's account chooser; returns the chooser's form action.
async fn reach_account_chooser(browser: &Browser, authorize_url: &str) -> String {
    let Landing { url, response } = browser.follow(authorize_url).await;
    assert_eq!(response.status(), 200, "account chooser at {url}");
    let page = response.text().await.unwrap();
    let action = page
        .split("action=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the chooser has a form");
    reqwest::Url::parse(&url)
        .unwrap()
        .join(action)
        .unwrap()
        .to_string()
}

/// Picks `account` on the provider and returns the callback URL it sends the browser to,
/// without visiting it.
async fn choose_account(
    app: &TestApp,
    browser: &Browser,
    authorize_url: &str,
    account: &str,
) -> String {
    let form_action = reach_account_chooser(browser, authorize_url).await;
    let response = browser
        .post_form(&form_action, &[("account", account)])
        .await;
    let next = crate::support::browser::redirect_target(&form_action, &response)
        .expect("the provider redirects after login");
    browser
        .follow_until(&next, &app.url("/auth/google/callback"))
        .await
}

/// Our start URL up to (not including) the provider's authorize endpoint.
async fn authorize_url(app: &TestApp, browser: &Browser, peer: &OidcPeer) -> String {
    browser
        .follow_until(
            &app.url("/auth/google/start?next=%2Fw%2Fopen-now"),
            &peer.issuer,
        )
        .await
}

#[tokio::test]
async fn verified_account_signs_in_and_returns_to_the_workshop() {
    let (app, peer) = start(false).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &browser, &peer).await;
    for required in ["code_challenge", "state", "nonce"] {
        assert!(
            query_param(&authorize, required).is_some(),
            "{required} is sent: {authorize}"
        );
    }
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );

    let callback = choose_account(&app, &browser, &authorize, VERIFIED).await;
    let landing = browser.follow(&callback).await;
    assert_eq!(landing.url, app.url("/w/open-now"));
    assert_eq!(landing.response.status(), 200);
    assert_eq!(
        app.signed_in_email(&browser).await.as_deref(),
        Some("Ada.Lovelace@Example.com")
    );

    // The attendee is recorded under the provider's subject, with the normalised email.
    let database = crate::support::test_database(&app.database_url).await;
    let attendee = database
        .find_attendee("google:ada-sub-1")
        .await
        .unwrap()
        .expect("attendee row");
    assert_eq!(attendee.email_normalized, "ada.lovelace@example.com");
    assert_eq!(attendee.auth_provider, "google");
}

#[tokio::test]
async fn unverified_email_is_refused() {
    let (app, peer) = start(false).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &browser, &peer).await;
    let callback = choose_account(&app, &browser, &authorize, UNVERIFIED).await;
    assert_refused(&browser.follow(&callback).await, "unverified");
    assert_eq!(app.signed_in_email(&browser).await, None);
}

#[tokio::test]
async fn tampered_state_is_refused() {
    let (app, peer) = start(false).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &browser, &peer).await;
    let callback = choose_account(&app, &browser, &authorize, VERIFIED).await;
    let tampered = with_query_param(&callback, "state", "forged-state-value");
    assert_refused(&browser.follow(&tampered).await, "state");
    assert_eq!(app.signed_in_email(&browser).await, None);
}

#[tokio::test]
async fn wrong_nonce_is_refused() {
    let (app, peer) = start(false).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &browser, &peer).await;
    // An attacker's authorization request: the provider puts this nonce in the ID token.
    let altered = with_query_param(&authorize, "nonce", "nonce-chosen-by-someone-else");
    let callback = choose_account(&app, &browser, &altered, VERIFIED).await;
    assert_refused(&browser.follow(&callback).await, "invalid");
    assert_eq!(app.signed_in_email(&browser).await, None);
}

#[tokio::test]
async fn token_signed_by_another_key_is_refused() {
    let (app, peer) = start(true).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &browser, &peer).await;
    let callback = choose_account(&app, &browser, &authorize, VERIFIED).await;
    assert_refused(&browser.follow(&callback).await, "invalid");
    assert_eq!(app.signed_in_email(&browser).await, None);
}

#[tokio::test]
async fn cancelling_at_the_provider_is_explained() {
    let (app, peer) = start(false).await;
    let browser = Browser::new();
    let authorize = authorize_url(&app, &browser, &peer).await;
    let callback = choose_account(&app, &browser, &authorize, CANCEL).await;
    assert_eq!(
        query_param(&callback, "error").as_deref(),
        Some("access_denied")
    );
    let landing = browser.follow(&callback).await;
    assert_refused(&landing, "denied");
    // The refusal still remembers where the attendee was going.
    assert_eq!(
        query_param(&landing.url, "next").as_deref(),
        Some("/w/open-now")
    );
    let page = landing.response.text().await.unwrap();
    assert!(
        page.contains("Sign-in was cancelled at the provider"),
        "friendly text on the page"
    );
}

#[tokio::test]
async fn a_used_code_is_refused_as_expired() {
    let (app, peer) = start(false).await;
    let browser = Browser::new();
    let first = authorize_url(&app, &browser, &peer).await;
    let used_callback = choose_account(&app, &browser, &first, VERIFIED).await;
    browser.follow(&used_callback).await;

    // A second sign-in in the same browser, completed with the first (spent) code. The
    // provider remembers the account, so it sends the browser straight back.
    let second = authorize_url(&app, &browser, &peer).await;
    let fresh_callback = browser
        .follow_until(&second, &app.url("/auth/google/callback"))
        .await;
    let state = query_param(&fresh_callback, "state").unwrap();
    let replay = with_query_param(&used_callback, "state", &state);
    assert_refused(&browser.follow(&replay).await, "expired");
}

#[tokio::test]
async fn provider_down_is_explained_not_a_500() {
    let (listener, _) = reserve_listener();
    // Nothing listens on the issuer's port.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let app = app_with_issuer(&issuer, listener).await;
    let browser = Browser::new();
    let landing = browser
        .follow(&app.url("/auth/google/start?next=%2Fw%2Fopen-now"))
        .await;
    assert_refused(&landing, "provider");
    assert_eq!(landing.response.status(), 200);
    assert!(landing
        .response
        .text()
        .await
        .unwrap()
        .contains("could not be reached"));
}
