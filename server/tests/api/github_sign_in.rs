//! "Sign in with GitHub" against a local stand-in of GitHub's OAuth endpoints and its
//! `/user` and `/user/emails` API with the real response shapes. Only a verified
//! **primary** email is accepted (see `server/src/auth/github.rs` for why).

use crate::support::browser::{assert_refused, query_param, with_query_param, Browser, Landing};
use crate::support::github_standin::{
    GitHubStandIn, GitHubUser, RunningStandIn, CLIENT_ID, CLIENT_SECRET,
};
use crate::support::{live_settings, open_workshop, TestApp, TestAppBuilder};
use engine::secret::Secret;
use server::config::OAuthClient;

async fn start() -> (TestApp, RunningStandIn) {
    start_on(None).await
}

/// With a database of the test's own (`on_both_databases!`), or a fresh SQLite file.
async fn start_on(database_url: Option<&str>) -> (TestApp, RunningStandIn) {
    let github = GitHubStandIn::spawn().await;
    let mut settings = live_settings();
    settings.github = Some(OAuthClient {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
    });
    settings.github_oauth_url = github.base_url.clone();
    settings.github_api_url = github.base_url.clone();
    let mut app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .live(settings);
    if let Some(url) = database_url {
        app = app.database(url);
    }
    (app.spawn().await, github)
}

fn octocat(emails: &[(&str, bool, bool)]) -> GitHubUser {
    GitHubUser {
        id: 583231,
        login: "octocat".into(),
        name: Some("The Octocat".into()),
        emails: emails
            .iter()
            .map(|(email, primary, verified)| (email.to_string(), *primary, *verified))
            .collect(),
    }
}

async fn sign_in(app: &TestApp, browser: &Browser) -> Landing {
    browser
        .follow(&app.url("/auth/github/start?next=%2Fw%2Fopen-now"))
        .await
}

#[tokio::test]
async fn verified_primary_email_signs_in() {
    let (app, github) = start().await;
    github.stand_in.sign_in_as(octocat(&[
        ("octocat@users.noreply.github.com", false, true),
        ("Octo.Cat+github@Example.com", true, true),
    ]));
    let browser = Browser::new();
    let landing = sign_in(&app, &browser).await;
    assert_eq!(landing.url, app.url("/w/open-now"));
    assert_eq!(
        app.signed_in_email(&browser).await.as_deref(),
        Some("Octo.Cat+github@Example.com")
    );
    let database = crate::support::test_database(&app.database_url).await;
    let attendee = database
        .find_attendee("github:583231")
        .await
        .unwrap()
        .expect("attendee row");
    // example.com is not a provider known to ignore `+tags`: the address is its own.
    assert_eq!(attendee.email_normalized, "octo.cat+github@example.com");
    assert_eq!(attendee.display_name.as_deref(), Some("The Octocat"));
}

#[tokio::test]
async fn unverified_primary_email_is_refused_with_what_to_do() {
    let (app, github) = start().await;
    github
        .stand_in
        .sign_in_as(octocat(&[("octocat@example.com", true, false)]));
    let browser = Browser::new();
    let landing = sign_in(&app, &browser).await;
    assert_refused(&landing, "no-verified-email");
    let page = landing.response.text().await.unwrap();
    assert!(
        page.contains("Settings → Emails"),
        "the page says what to do"
    );
    assert_eq!(app.signed_in_email(&browser).await, None);
}

#[tokio::test]
async fn account_without_emails_is_refused() {
    let (app, github) = start().await;
    github.stand_in.sign_in_as(octocat(&[]));
    let browser = Browser::new();
    assert_refused(&sign_in(&app, &browser).await, "no-verified-email");
}

#[tokio::test]
async fn a_verified_secondary_email_does_not_replace_an_unverified_primary() {
    let (app, github) = start().await;
    github.stand_in.sign_in_as(octocat(&[
        ("primary@example.com", true, false),
        ("secondary@example.com", false, true),
    ]));
    let browser = Browser::new();
    assert_refused(&sign_in(&app, &browser).await, "no-verified-email");
    assert_eq!(app.signed_in_email(&browser).await, None);
}

#[tokio::test]
async fn cancelling_on_github_is_explained() {
    let (app, github) = start().await;
    github.stand_in.deny();
    let browser = Browser::new();
    let landing = sign_in(&app, &browser).await;
    assert_refused(&landing, "denied");
    assert_eq!(
        query_param(&landing.url, "next").as_deref(),
        Some("/w/open-now")
    );
}

#[tokio::test]
async fn tampered_state_is_refused() {
    let (app, github) = start().await;
    github
        .stand_in
        .sign_in_as(octocat(&[("octocat@example.com", true, true)]));
    let browser = Browser::new();
    let callback = browser
        .follow_until(
            &app.url("/auth/github/start?next=%2F"),
            &app.url("/auth/github/callback"),
        )
        .await;
    let landing = browser
        .follow(&with_query_param(&callback, "state", "forged"))
        .await;
    assert_refused(&landing, "state");
    assert_eq!(app.signed_in_email(&browser).await, None);
}

#[tokio::test]
async fn a_used_code_is_refused_as_expired() {
    let (app, github) = start().await;
    github
        .stand_in
        .sign_in_as(octocat(&[("octocat@example.com", true, true)]));
    let browser = Browser::new();
    let callback_prefix = app.url("/auth/github/callback");
    let used = browser
        .follow_until(&app.url("/auth/github/start?next=%2F"), &callback_prefix)
        .await;
    browser.follow(&used).await;
    let fresh = browser
        .follow_until(&app.url("/auth/github/start?next=%2F"), &callback_prefix)
        .await;
    let replay = with_query_param(&used, "state", &query_param(&fresh, "state").unwrap());
    assert_refused(&browser.follow(&replay).await, "expired");
}

#[tokio::test]
async fn github_api_down_is_explained_not_a_500() {
    let (app, github) = start().await;
    github
        .stand_in
        .sign_in_as(octocat(&[("octocat@example.com", true, true)]));
    github.stand_in.take_api_down();
    let browser = Browser::new();
    let landing = sign_in(&app, &browser).await;
    assert_refused(&landing, "provider");
    assert_eq!(landing.response.status(), 200);
}

on_both_databases!(
    ten_thousand_sign_in_starts_from_elsewhere_do_not_stop_one_person_signing_in,
    |url: String| async move {
        let (app, github) = start_on(Some(&url)).await;
        github
            .stand_in
            .sign_in_as(octocat(&[("octocat@example.com", true, true)]));
        let person = Browser::new();
        let start_url = app.url("/auth/github/start?next=%2Fw%2Fopen-now");
        let started = person.get(&start_url).await;
        assert_eq!(started.status(), 303);
        let at_provider = started.headers()["location"].to_str().unwrap().to_string();

        // While they are at the provider: 10,000 starts from elsewhere (an <img> on a
        // busy page), cookie-less, eight at a time.
        let mut floods = Vec::new();
        for _ in 0..8 {
            let url = start_url.clone();
            floods.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                for _ in 0..1_250 {
                    let response = client.get(&url).send().await.unwrap();
                    assert_eq!(response.status(), 303);
                }
            }));
        }
        for flood in floods {
            flood.await.unwrap();
        }

        let landing = person.follow(&at_provider).await;
        assert_eq!(landing.url, app.url("/w/open-now"));
        assert_eq!(
            app.signed_in_email(&person).await.as_deref(),
            Some("octocat@example.com")
        );
        // Nothing was written for any of those starts.
        sqlx::any::install_default_drivers();
        let database = sqlx::AnyPool::connect(&url).await.unwrap();
        let (pending,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM login_attempts")
            .fetch_one(&database)
            .await
            .unwrap();
        assert_eq!(pending, 0);
    }
);

#[tokio::test]
async fn a_forged_or_foreign_sign_in_cookie_is_refused() {
    let (app, github) = start().await;
    github
        .stand_in
        .sign_in_as(octocat(&[("octocat@example.com", true, true)]));
    // Another server's cookie (another key) and a made-up one: neither opens.
    let (other, _other_github) = start().await;
    let stranger = Browser::new();
    let started = stranger
        .get(&other.url("/auth/github/start?next=%2F"))
        .await;
    let at_provider = started.headers()["location"].to_str().unwrap().to_string();
    let cookie = started.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let sealed = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("wkm_login=")
        .to_string();
    let state = query_param(&at_provider, "state").unwrap();
    for value in [sealed.as_str(), "wkm1.signin1.AAAA", state.as_str()] {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(app.url(&format!("/auth/github/callback?code=c&state={state}")))
            .header("cookie", format!("wkm_login={value}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
        let location = response.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/signin?error=state"),
            "{value}: {location}"
        );
    }
}
