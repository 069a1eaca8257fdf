//! Sessions and authorisation over real HTTP: cookie flags, forged and expired cookies,
//! rotation at sign-in, sign-out, demo sign-in only in demo mode, and admin server
//! functions refusing nobody (401) and non-admins (403).

use crate::support::browser::{query_param, Browser};
use crate::support::{live_settings, open_workshop, TestApp, TestAppBuilder};
use engine::session::{hash_token, SESSION_LIFETIME_SECONDS};

async fn demo_app() -> TestApp {
    TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .spawn()
        .await
}

async fn demo_sign_in(app: &TestApp, browser: &Browser, email: &str) -> reqwest::Response {
    browser
        .post_form(
            &app.url("/auth/demo"),
            &[("name", "Grace"), ("email", email), ("next", "/w/open-now")],
        )
        .await
}

/// A token of the length the server issues (43 URL-safe characters), planted by a test.
fn token_like(seed: &str) -> String {
    format!("{seed:x<43}")
}

/// What `get_site_info` says for a bare `Cookie` header (another tab, a copied value).
async fn site_info_with_cookie(app: &TestApp, cookie: &str) -> serde_json::Value {
    reqwest::Client::new()
        .post(app.url("/api/get_site_info"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("wkm_session="))
        .expect("a session cookie is set")
        .to_string()
}

async fn list_claims_status(app: &TestApp, browser: &Browser) -> u16 {
    browser
        .client
        .post(app.url("/api/list_claims"))
        .form(&[("slug", "open-now")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn session_cookie_has_safe_flags_and_an_expiry() {
    let app = demo_app().await;
    let browser = Browser::new();
    let response = demo_sign_in(&app, &browser, "grace@example.com").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/w/open-now");
    let cookie = session_cookie(&response);
    for flag in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        &format!("Max-Age={SESSION_LIFETIME_SECONDS}"),
    ] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    // Plain http here; behind https the cookie is `__Host-` and `Secure` (unit-tested in session.rs).
    assert!(!cookie.contains("Secure"));
    assert_eq!(
        app.signed_in_email(&browser).await.as_deref(),
        Some("grace@example.com")
    );
}

#[tokio::test]
async fn forged_cookie_is_not_a_session() {
    let app = demo_app().await;
    let forged = format!("wkm_session={}", token_like("forged"));
    let info = site_info_with_cookie(&app, &forged).await;
    assert!(info["user"].is_null(), "{info}");
}

#[tokio::test]
async fn expired_session_is_not_a_session() {
    let app = demo_app().await;
    let browser = Browser::new();
    demo_sign_in(&app, &browser, "grace@example.com").await;
    let database = crate::support::test_database(&app.database_url).await;
    let token = &token_like("expired");
    let long_ago = chrono::Utc::now().timestamp() - SESSION_LIFETIME_SECONDS - 60;
    database
        .insert_session(
            &hash_token(token),
            "demo:grace@example.com",
            long_ago,
            long_ago + SESSION_LIFETIME_SECONDS,
        )
        .await
        .unwrap();
    let info = site_info_with_cookie(&app, &format!("wkm_session={token}")).await;
    assert!(
        info["user"].is_null(),
        "an expired session signs nobody in: {info}"
    );
}

#[tokio::test]
async fn signing_in_again_rotates_the_session() {
    let app = demo_app().await;
    let browser = Browser::new();
    let first = session_cookie(&demo_sign_in(&app, &browser, "grace@example.com").await);
    let second = session_cookie(&demo_sign_in(&app, &browser, "grace@example.com").await);
    assert_ne!(first, second);
    let info = site_info_with_cookie(&app, first.split(';').next().unwrap()).await;
    assert!(
        info["user"].is_null(),
        "the session from before sign-in is ended: {info}"
    );
}

#[tokio::test]
async fn sign_out_ends_the_session_everywhere() {
    let app = demo_app().await;
    let browser = Browser::new();
    let cookie = session_cookie(&demo_sign_in(&app, &browser, "grace@example.com").await);
    let response = browser.post_form(&app.url("/auth/signout"), &[]).await;
    assert_eq!(response.status(), 303);
    let cleared = session_cookie(&response);
    assert!(
        cleared.starts_with("wkm_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(app.signed_in_email(&browser).await, None);
    // A copy of the old cookie (another tab, a stolen value) no longer works either.
    let info = site_info_with_cookie(&app, cookie.split(';').next().unwrap()).await;
    assert!(info["user"].is_null());
}

#[tokio::test]
async fn admin_functions_refuse_nobody_and_non_admins() {
    let app = demo_app().await;
    let nobody = Browser::new();
    assert_eq!(list_claims_status(&app, &nobody).await, 401);

    let attendee = Browser::new();
    demo_sign_in(&app, &attendee, "grace@example.com").await;
    assert_eq!(list_claims_status(&app, &attendee).await, 403);

    // `organiser@example.com` is listed under `admins:` in the workshop file.
    let organiser = Browser::new();
    demo_sign_in(&app, &organiser, "Organiser@Example.com").await;
    assert_eq!(list_claims_status(&app, &organiser).await, 200);
}

#[tokio::test]
async fn global_admins_from_the_environment_are_admins_of_every_workshop() {
    let mut settings = live_settings();
    settings.admin_emails = vec!["boss@example.com".into()];
    // Live mode has no demo sign-in, so the test plants a session directly.
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .live(settings)
        .spawn()
        .await;
    let database = crate::support::test_database(&app.database_url).await;
    let now = chrono::Utc::now().timestamp();
    for (user_id, email) in [
        ("github:1", "Boss@Example.com"),
        ("github:2", "someone@example.com"),
    ] {
        database
            .upsert_attendee(
                &engine::db::SignedInAttendee {
                    user_id: user_id.into(),
                    email: email.into(),
                    email_normalized: email.to_lowercase(),
                    display_name: None,
                    auth_provider: "github".into(),
                },
                now,
            )
            .await
            .unwrap();
    }
    let call = |token: &str| {
        reqwest::Client::new()
            .post(app.url("/api/list_claims"))
            .header("cookie", format!("wkm_session={token}"))
            .form(&[("slug", "open-now")])
            .send()
    };
    let (boss, someone) = (&token_like("boss"), &token_like("someone"));
    database
        .insert_session(&hash_token(boss), "github:1", now, now + 3600)
        .await
        .unwrap();
    database
        .insert_session(&hash_token(someone), "github:2", now, now + 3600)
        .await
        .unwrap();
    assert_eq!(call(boss).await.unwrap().status(), 200);
    assert_eq!(call(someone).await.unwrap().status(), 403);
}

#[tokio::test]
async fn demo_sign_in_is_refused_outside_demo_mode() {
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .live(live_settings())
        .spawn()
        .await;
    let browser = Browser::new();
    let response = demo_sign_in(&app, &browser, "grace@example.com").await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(
        query_param(&format!("http://x{location}"), "error").as_deref(),
        Some("not-enabled")
    );
    assert_eq!(app.signed_in_email(&browser).await, None);
    let page = browser.get(&app.url("/signin")).await.text().await.unwrap();
    assert!(
        !page.contains("Demo sign-in"),
        "no demo form outside demo mode"
    );
}

#[tokio::test]
async fn sign_in_page_offers_the_demo_form_in_demo_mode_only_with_a_safe_next() {
    let app = demo_app().await;
    let browser = Browser::new();
    let page = browser
        .get(&app.url("/signin?next=%2Fw%2Fopen-now"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Demo sign-in"));
    assert!(
        page.contains(r#"name="next" value="/w/open-now""#),
        "next is carried in the form"
    );
    // A hostile `next` never becomes a redirect to another site.
    let response = browser
        .post_form(
            &app.url("/auth/demo"),
            &[
                ("name", "G"),
                ("email", "g@example.com"),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(response.headers()["location"], "/");
}

#[tokio::test]
async fn a_session_started_on_one_instance_works_on_another() {
    let first = demo_app().await;
    let second = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .database(&first.database_url)
        .spawn()
        .await;
    let browser = Browser::new();
    demo_sign_in(&first, &browser, "grace@example.com").await;
    // Cookies are per host, not per port: the same cookie reaches the second instance.
    assert_eq!(
        second.signed_in_email(&browser).await.as_deref(),
        Some("grace@example.com")
    );
    browser.post_form(&second.url("/auth/signout"), &[]).await;
    assert_eq!(first.signed_in_email(&browser).await, None);
}
