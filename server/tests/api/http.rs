//! The real server over HTTP: pages, status codes, health, headers, server functions.

use crate::support::windows::Window;
use crate::support::{open_workshop, workshop_file, TestAppBuilder};

#[tokio::test]
async fn health_reports_the_database_and_workshop_count() {
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .spawn()
        .await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["workshops"], 1);
}

#[tokio::test]
async fn home_lists_workshops_with_state_and_demo_banner() {
    let window = Window::open_now();
    let upcoming = workshop_file("Later", Window::upcoming(), "");
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .workshop("later", &upcoming)
        .spawn()
        .await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let open_at = html.find("Open now").expect("open workshop listed");
    let later_at = html.find("Later").expect("upcoming workshop listed");
    assert!(open_at < later_at, "open workshops come first");
    assert!(html.contains("state-open") && html.contains("state-upcoming"));
    assert!(html.contains("Demo mode"), "demo banner on every page");
    // The workshop's own zone is rendered by the server, in Berlin time.
    let close = window
        .close
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%-d %b %Y, %H:%M %Z")
        .to_string();
    assert!(html.contains(&close), "{close} in {html}");
}

#[tokio::test]
async fn workshop_page_shows_the_workshop() {
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .spawn()
        .await;
    let response = app.get("/w/open-now").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Open now</h1>"), "{html}");
    assert!(html.contains("openai/gpt-5-nano"));
    assert!(html.contains("$2.00"));
    // Admin lists are not public.
    assert!(!html.contains("organiser@example.com"));
}

#[tokio::test]
async fn unknown_workshop_and_unknown_page_are_404() {
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .spawn()
        .await;
    let response = app.get("/w/nope").await;
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("The workshop “nope” was not found."));
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("That page was not found."));
}

#[tokio::test]
async fn server_function_returns_typed_errors_with_status() {
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .spawn()
        .await;
    let call = |body: &'static str| {
        app.client
            .post(format!("{}/api/get_workshop", app.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let found = call("slug=open-now").await.unwrap();
    assert_eq!(found.status(), 200);
    let body: serde_json::Value = found.json().await.unwrap();
    assert_eq!(body["title"], "Open now");

    let missing = call("slug=..%2F..%2Fetc%2Fpasswd").await.unwrap();
    assert_eq!(missing.status(), 404);
    let text = missing.text().await.unwrap();
    assert!(!text.contains("passwd"), "bad input is not echoed: {text}");

    let forged = call("nonsense=1").await.unwrap();
    assert_eq!(forged.status(), 400);
}

#[tokio::test]
async fn hashed_package_files_are_cached_for_a_year_and_compressed() {
    let js = "console.log('hello');".repeat(200);
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .site_file("pkg/workshop-key-minter.0123abcd.js", &js)
        .hashed_files()
        .spawn()
        .await;
    let response = app
        .client
        .get(format!(
            "{}/pkg/workshop-key-minter.0123abcd.js",
            app.base_url
        ))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn unhashed_package_files_must_be_revalidated() {
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .site_file("pkg/workshop-key-minter.js", "x")
        .spawn()
        .await;
    let response = app.get("/pkg/workshop-key-minter.js").await;
    assert_eq!(response.headers()["cache-control"], "no-cache");
}
