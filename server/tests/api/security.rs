//! What an attacker and a careless operator find (issue 9), over real HTTP: links built
//! from input, cross-site requests, security headers per kind of response, admin rights
//! by exact address, one mailbox's key never shown to another, the key after claims
//! close, malformed and oversized requests, a flood of sign-in starts, and OAuth values
//! kept out of the logs.

use std::time::Duration;

use engine::db::{MintedKey, NewReservation, ReserveOutcome, SignedInAttendee};
use engine::secret::Secret;
use reqwest::header;
use serde_json::Value;
use server::config::OAuthClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::browser::Browser;
use crate::support::windows::Window;
use crate::support::{live_settings, open_workshop, workshop_file, TestApp, TestAppBuilder};

/// A live (not demo) deployment with GitHub sign-in configured.
async fn live_app_with_github() -> TestApp {
    let mut settings = live_settings();
    settings.github = Some(OAuthClient {
        client_id: "client".into(),
        client_secret: Secret::new("secret"),
    });
    TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .live(settings)
        .spawn()
        .await
}

async fn demo_app() -> TestApp {
    TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .workshop(
            "last-year",
            &workshop_file("Last year", Window::closed(), ""),
        )
        .spawn()
        .await
}

/// Every `href="…"` value of a page.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

#[tokio::test]
async fn a_next_parameter_never_becomes_a_script_link() {
    let app = demo_app().await;
    let signed_in = app.demo_sign_in("ada@example.com").await;
    let nobody = Browser::new();
    for next in [
        "javascript:alert(document.cookie)",
        "//evil.example/x",
        "https://evil.example",
    ] {
        let query = serde_urlencoded::to_string([("next", next)]).unwrap();
        for browser in [&signed_in, &nobody] {
            let html = browser
                .get(&app.url(&format!("/signin?{query}")))
                .await
                .text()
                .await
                .unwrap();
            for href in hrefs(&html) {
                assert!(
                    href.starts_with('/') && !href.starts_with("//"),
                    "a link built from next={next:?} leaves the site: {href}"
                );
            }
            assert!(!html.contains("value=\"javascript"), "the demo form's next");
        }
    }
    // The signed-in visitor's "Continue" goes home instead.
    let query = serde_urlencoded::to_string([("next", "javascript:alert(1)")]).unwrap();
    let html = signed_in
        .get(&app.url(&format!("/signin?{query}")))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<a href=\"/\">Continue</a>"), "{html}");
}

#[tokio::test]
async fn state_changing_requests_from_other_sites_are_refused() {
    let app = demo_app().await;
    let ada = app.demo_sign_in("ada@example.com").await;
    let own = app.base_url.clone();
    let claim_from = |fetch_site: Option<&str>, origin: Option<&str>, referer: Option<&str>| {
        let mut request = ada
            .client
            .post(app.url("/api/claim_key"))
            .form(&[("slug", "open-now")]);
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        if let Some(referer) = referer {
            request = request.header(header::REFERER, referer);
        }
        request.send()
    };
    let claim = |origin: Option<&str>, referer: Option<&str>| claim_from(None, origin, referer);
    for (origin, referer) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (None, Some("https://evil.example/page")),
        // A look-alike of ours on another port is another origin.
        (Some("http://127.0.0.1:1"), None),
    ] {
        let response = claim(origin, referer).await.unwrap();
        assert_eq!(response.status(), 403, "{origin:?} {referer:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, Value::String("CrossSite".into()));
    }
    // Fetch metadata, which browsers send and pages cannot forge, decides first.
    for site in ["cross-site", "same-site", "none"] {
        let response = claim_from(Some(site), Some(&own), None).await.unwrap();
        assert_eq!(response.status(), 403, "Sec-Fetch-Site: {site}");
    }
    assert_eq!(
        app.simulator().call_count("POST /keys"),
        0,
        "nothing was minted"
    );
    // A form post whose browser sends `Origin: null` and no `Referer` (as under a
    // `no-referrer` policy), but same-origin by the browser's own word.
    let response = claim_from(Some("same-origin"), Some("null"), None)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Our own pages (and the no-JS form posts they make) carry our origin.
    let response = claim(Some(&own), None).await.unwrap();
    assert_eq!(response.status(), 200);
    let page = format!("{own}/w/open-now");
    let response = claim(None, Some(&page)).await.unwrap();
    assert_eq!(response.status(), 200);

    // Sign-in and sign-out forms too: a forged sign-in plants no session.
    let victim = Browser::new();
    let forged = victim
        .client
        .post(app.url("/auth/demo"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("name", "Mallory"), ("email", "mallory@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.headers().get(header::SET_COOKIE).is_none());
    assert!(forged.text().await.unwrap().contains("another website"));
    assert_eq!(app.signed_in_email(&victim).await, None);
    let signed_out = ada
        .client
        .post(app.url("/auth/signout"))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 403);
    assert_eq!(
        app.signed_in_email(&ada).await.as_deref(),
        Some("ada@example.com"),
        "a forged sign-out does not end the session"
    );
}

fn header_of(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} is missing on {}", response.url()))
        .to_str()
        .unwrap()
        .to_string()
}

/// Headers every response carries, whatever it is.
fn assert_baseline_headers(response: &reqwest::Response) {
    assert_eq!(header_of(response, "x-content-type-options"), "nosniff");
    // Never to another site; our own pages keep it, for the no-JS redirects back.
    assert_eq!(header_of(response, "referrer-policy"), "same-origin");
    assert_eq!(header_of(response, "x-frame-options"), "DENY");
    let policy = header_of(response, "content-security-policy");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let permissions = header_of(response, "permissions-policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{permissions}");
    }
    assert!(
        !permissions.contains("clipboard"),
        "Copy needs the clipboard"
    );
    assert_eq!(
        header_of(response, "cross-origin-opener-policy"),
        "same-origin"
    );
    assert_eq!(
        header_of(response, "cross-origin-resource-policy"),
        "same-origin"
    );
}

#[tokio::test]
async fn a_signed_out_admin_page_is_a_303_for_every_client() {
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .spawn()
        .await;
    for accept in [None, Some("text/html"), Some("application/json")] {
        let mut request = app.client.get(app.url("/admin/open-now"));
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 303, "Accept: {accept:?}");
        let location = header_of(&response, "location");
        assert!(location.starts_with("/signin?next="), "{location}");
        assert_baseline_headers(&response);
        assert_eq!(
            response.text().await.unwrap(),
            "",
            "no page behind a redirect"
        );
    }
}

#[tokio::test]
async fn every_kind_of_response_carries_its_security_headers() {
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .site_file("pkg/app.0123456789abcdef.js", "export {}")
        .hashed_files()
        .spawn()
        .await;
    let ada = app.demo_sign_in("ada@example.com").await;

    // Pages: a nonce policy whose nonce is the one on the page's inline scripts.
    for path in ["/", "/w/open-now", "/signin", "/no/such/page"] {
        for browser in [&ada, &Browser::new()] {
            let response = browser.get(&app.url(path)).await;
            assert_baseline_headers(&response);
            assert_eq!(header_of(&response, "cache-control"), "no-store", "{path}");
            let policy = header_of(&response, "content-security-policy");
            assert!(
                policy.contains("script-src 'self' 'nonce-")
                    && policy.contains("'wasm-unsafe-eval'"),
                "{path}: {policy}"
            );
            assert!(policy.contains("style-src 'self';"), "{policy}");
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap()
                .to_string();
            let html = response.text().await.unwrap();
            let scripts: Vec<&str> = html
                .split("<script")
                .skip(1)
                .filter_map(|rest| rest.split('>').next())
                .collect();
            assert!(!scripts.is_empty(), "{path} has its hydration script");
            for tag in scripts {
                assert!(
                    tag.contains(&format!("nonce=\"{nonce}\"")),
                    "a script of {path} without this response's nonce: <script{tag}>"
                );
            }
            assert!(!html.contains(" style=\""), "no inline styles on {path}");
        }
    }
    // Two renders, two nonces.
    let first = header_of(&app.get("/").await, "content-security-policy");
    let second = header_of(&app.get("/").await, "content-security-policy");
    assert_ne!(first, second);

    // Server functions (one of them carries the plaintext key): never stored anywhere.
    let (status, _) = app.call(&ada, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 200);
    for name in ["claim_key", "my_claim", "get_site_info"] {
        let response = ada
            .client
            .post(app.url(&format!("/api/{name}")))
            .form(&[("slug", "open-now")])
            .send()
            .await
            .unwrap();
        assert_baseline_headers(&response);
        assert_eq!(header_of(&response, "cache-control"), "no-store", "{name}");
        assert!(header_of(&response, "content-security-policy").starts_with("default-src 'none'"));
    }
    // The no-JS claim answers with a redirect back to the key page: not stored either.
    let redirect = ada
        .client
        .post(app.url("/api/claim_key"))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, app.url("/w/open-now"))
        .form(&[("slug", "open-now")])
        .send()
        .await
        .unwrap();
    assert!(redirect.status().is_redirection(), "{}", redirect.status());
    assert_eq!(header_of(&redirect, "cache-control"), "no-store");
    // The .env download holds the plaintext key.
    let env_file = ada.get(&app.url("/w/open-now/key.env")).await;
    assert_eq!(env_file.status(), 200);
    assert_baseline_headers(&env_file);
    assert_eq!(header_of(&env_file, "cache-control"), "no-store");

    // Auth redirects and health checks.
    let signed_out = ada
        .client
        .post(app.url("/auth/signout"))
        .send()
        .await
        .unwrap();
    assert_baseline_headers(&signed_out);
    assert_eq!(header_of(&signed_out, "cache-control"), "no-store");
    let health = app.get("/healthz").await;
    assert_baseline_headers(&health);

    // Hashed assets keep their year-long caching.
    let asset = app.get("/pkg/app.0123456789abcdef.js").await;
    assert_eq!(asset.status(), 200);
    assert_baseline_headers(&asset);
    assert_eq!(
        header_of(&asset, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    // No HSTS over plain http.
    assert!(asset.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn an_https_deployment_sends_hsts() {
    let mut settings = live_settings();
    settings.public_url = "https://keys.example.test".into();
    settings.github = Some(OAuthClient {
        client_id: "id".into(),
        client_secret: Secret::new("secret"),
    });
    let app = TestAppBuilder::new()
        .workshop("open-now", &open_workshop())
        .live(settings)
        .spawn()
        .await;
    let response = app.get("/healthz").await;
    assert_eq!(
        header_of(&response, "strict-transport-security"),
        "max-age=63072000; includeSubDomains"
    );
    let page = app.get("/signin").await;
    let policy = header_of(&page, "content-security-policy");
    // The sign-in forms may lead to GitHub, and nowhere else.
    assert!(
        policy.contains("form-action 'self' http://127.0.0.1:9;"),
        "{policy}"
    );
    // The sign-in cookie is host-only and secure, like the session's: no sibling
    // subdomain can plant one (login CSRF).
    let started = app.get("/auth/github/start?next=/").await;
    let cookie = header_of(&started, "set-cookie");
    assert!(cookie.starts_with("__Host-wkm_login=wkm1."), "{cookie}");
    assert!(
        cookie.contains("; Path=/;") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
}

#[tokio::test]
async fn admin_rights_need_the_exact_address() {
    let app = demo_app().await;
    let tagged = app.demo_sign_in("organiser+anything@example.com").await;
    let (status, _) = app
        .call(&tagged, "retry_all_unbound", &[("slug", "open-now")])
        .await;
    assert_eq!(
        status, 403,
        "a +tag of the admin's address is not the admin"
    );
    let shouted = app.demo_sign_in("Organiser@Example.COM").await;
    let (status, _) = app
        .call(&shouted, "retry_all_unbound", &[("slug", "open-now")])
        .await;
    assert_eq!(status, 200, "case does not matter");
}

#[tokio::test]
async fn another_spelling_of_a_mailbox_never_sees_its_key() {
    let app = demo_app().await;
    // Two accounts at a domain nobody can vouch for: two addresses, two keys.
    let carol = app.demo_sign_in("carol@corp.example").await;
    let work = app.demo_sign_in("carol+work@corp.example").await;
    let (_, first) = app.call(&carol, "claim_key", &[("slug", "open-now")]).await;
    let (status, second) = app.call(&work, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(first["key"], second["key"]);

    // One Gmail mailbox under two spellings is one attendee with one key.
    let jane = app.demo_sign_in("jane.doe@gmail.com").await;
    let alias = app.demo_sign_in("JaneDoe+ws@googlemail.com").await;
    let (_, original) = app.call(&jane, "claim_key", &[("slug", "open-now")]).await;
    let (status, same) = app.call(&alias, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 200);
    assert_eq!(original["key"], same["key"]);

    // A row normalised under the old rules (every +tag stripped) belongs to
    // dave+work's sign-in; dave@ must be told, not shown its key.
    let database = app.database().await;
    let owner = database
        .upsert_attendee(
            &SignedInAttendee {
                user_id: "github:77".into(),
                email: "dave+work@corp.example".into(),
                email_normalized: "dave@corp.example".into(),
                display_name: None,
                auth_provider: "github".into(),
            },
            1,
        )
        .await
        .unwrap();
    let reservation = NewReservation {
        user_id: &owner.user_id,
        workshop_slug: "open-now",
        email_normalized: "dave@corp.example",
        key_name: "workshop-open-now-legacy",
        limit_usd_micros: 2_000_000,
        expires_at: chrono::Utc::now().timestamp() + 86_400,
        workshop_cap_usd_micros: 10_000_000,
        max_attendees: None,
        take_from_pool: false,
        now: 1,
    };
    let ReserveOutcome::Reserved(_) = database.reserve_claim(&reservation).await.unwrap() else {
        panic!("the legacy row is reserved");
    };
    database
        .take_mint_lease(&owner.user_id, "open-now", "lease", 1, i64::MAX)
        .await
        .unwrap();
    let plaintext = Secret::new("sk-or-v1-legacy-key-of-dave-work");
    assert!(database
        .store_minted_key(&MintedKey {
            user_id: &owner.user_id,
            workshop_slug: "open-now",
            lease: "lease",
            hash: "legacy-hash",
            plaintext: &plaintext,
            label: "sk-or-v1-leg...work",
            now: 2,
        })
        .await
        .unwrap());
    // Bob signs in as the plain address, which the new rules keep apart.
    let dave = app.demo_sign_in("dave@corp.example").await;
    let (status, mine) = app.call(&dave, "my_claim", &[("slug", "open-now")]).await;
    assert_eq!((status, &mine), (200, &Value::Null));
    let (status, refused) = app.call(&dave, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 409, "{refused}");
    let message = refused["MailboxTaken"].as_str().unwrap();
    assert!(message.contains("already claimed"), "{message}");
    assert!(
        message.contains("GitHub") && message.contains("d•••k@corp.example"),
        "{message}"
    );
    assert!(!refused.to_string().contains("legacy-key"));
    let page = dave
        .get(&app.url("/w/open-now"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("legacy-key"),
        "the page never shows it either"
    );
}

#[tokio::test]
async fn the_key_is_on_the_page_after_claims_close() {
    let app = demo_app().await;
    let ada = app.demo_sign_in("ada@example.com").await;
    let attendee = app
        .database()
        .await
        .find_attendee("demo:ada@example.com")
        .await
        .unwrap()
        .unwrap();
    // Claimed while the window was open (written as the mint would have).
    let database = app.database().await;
    let reservation = NewReservation {
        user_id: &attendee.user_id,
        workshop_slug: "last-year",
        email_normalized: &attendee.email_normalized,
        key_name: "workshop-last-year-ada",
        limit_usd_micros: 2_000_000,
        expires_at: chrono::Utc::now().timestamp() + 3_600,
        workshop_cap_usd_micros: 10_000_000,
        max_attendees: None,
        take_from_pool: false,
        now: 1,
    };
    database.reserve_claim(&reservation).await.unwrap();
    database
        .take_mint_lease(&attendee.user_id, "last-year", "lease", 1, i64::MAX)
        .await
        .unwrap();
    let plaintext = Secret::new("sk-or-v1-kept-after-close");
    database
        .store_minted_key(&MintedKey {
            user_id: &attendee.user_id,
            workshop_slug: "last-year",
            lease: "lease",
            hash: "closed-hash",
            plaintext: &plaintext,
            label: "sk-or-v1-kep...lose",
            now: 2,
        })
        .await
        .unwrap();
    let page = ada.get(&app.url("/w/last-year")).await;
    assert_eq!(header_of(&page, "cache-control"), "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("sk-or-v1-kept-after-close"), "{html}");
    // Someone else on the same closed page sees no key and no claim button.
    let bob = app.demo_sign_in("bob@example.com").await;
    let html = bob
        .get(&app.url("/w/last-year"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("sk-or-v1-kept-after-close"));
    assert!(!html.contains("Claim my key"));
}

/// Sends raw bytes and returns the status line's code.
async fn raw_status(app: &TestApp, request: &[u8]) -> u16 {
    let address = app.base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => {
                    answer.extend_from_slice(&buffer[..read]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

#[tokio::test]
async fn malformed_and_oversized_requests_are_refused_with_4xx() {
    let app = demo_app().await;
    let ada = app.demo_sign_in("ada@example.com").await;
    let post = |body: Vec<u8>, content_type: &'static str| {
        ada.client
            .post(app.url("/api/claim_key"))
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    // Not UTF-8, raw or percent-encoded.
    let response = post(
        b"slug=\xff\xfe".to_vec(),
        "application/x-www-form-urlencoded",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    // Percent-encoded bytes that are not UTF-8 decode to no workshop anyone has.
    let response = post(b"slug=%ff%fe".to_vec(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    // Too large, declared: refused before the body is read.
    for megabytes in [2, 16, 64] {
        let body = vec![b'a'; megabytes * 1024 * 1024];
        let response = post(body, "application/x-www-form-urlencoded")
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{megabytes} MB");
    }
    // Too large, streamed without a length: refused once the limit is passed.
    let chunks = futures_stream(64, 64 * 1024);
    let response = ada
        .client
        .post(app.url("/api/claim_key"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // A sign-in form that is too large, too.
    let response = Browser::new()
        .client
        .post(app.url("/auth/demo"))
        .form(&[
            ("name", "x".repeat(100_000)),
            ("email", "a@example.com".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // A broken chunked body that also claims a length.
    let status = raw_status(
        &app,
        b"POST /api/claim_key HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Transfer-Encoding: chunked\r\nContent-Length: 9\r\nConnection: close\r\n\r\nzz\r\nslug=x\r\n0\r\n\r\n",
    )
    .await;
    assert!((400..500).contains(&status), "{status}");
    assert_eq!(app.simulator().call_count("POST /keys"), 0);
}

/// `count` chunks of `size` bytes, as a stream reqwest can send without a length.
fn futures_stream(
    count: usize,
    size: usize,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::iter((0..count).map(move |_| Ok(vec![b'a'; size])))
}

/// Everything logged at debug level while the guard lives, as text.
#[derive(Clone, Default)]
struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Starts capturing. The test runtime has one thread, so the server's tasks log
    /// through this subscriber too.
    fn start() -> (Self, tracing::subscriber::DefaultGuard) {
        use tracing_subscriber::layer::SubscriberExt;
        let captured = Self::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("debug"))
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(move || writer.clone())
                    .with_ansi(false),
            );
        (captured, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn a_claim_can_be_followed_through_the_logs_without_its_key_or_email() {
    let (captured, _guard) = CapturedLogs::start();
    let app = demo_app().await;
    let ada = app.demo_sign_in("ada.lovelace@example.com").await;
    let response = ada
        .client
        .post(app.url("/api/claim_key"))
        .form(&[("slug", "open-now")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = header_of(&response, "x-request-id");
    let key: Value = response.json().await.unwrap();
    let key = key["key"].as_str().expect("the claim answers with the key");

    let logs = captured.text();
    // The request's id and the workshop's slug are on the line of its OpenRouter call.
    let create_line = logs
        .lines()
        .find(|line| {
            line.contains(&format!("id=\"{request_id}\"")) && line.contains("OpenRouter call")
        })
        .unwrap_or_else(|| panic!("no OpenRouter call logged under request {request_id}: {logs}"));
    assert!(create_line.contains("slug=open-now"), "{create_line}");
    assert!(
        create_line.contains("claim") && create_line.contains("mint"),
        "{create_line}"
    );
    assert!(create_line.contains("path=\"/keys\""), "{create_line}");
    assert!(!logs.contains(key), "the plaintext key is in the logs");
    assert!(
        !logs.contains("ada.lovelace"),
        "the email is in the logs: {logs}"
    );
}

#[tokio::test]
async fn oauth_codes_and_states_stay_out_of_the_logs() {
    let (captured, _guard) = CapturedLogs::start();

    let app = live_app_with_github().await;
    let browser = Browser::new();
    let response = browser
        .get(&app.url(
            "/auth/github/callback?code=CODE-SHOULD-NOT-BE-LOGGED&state=STATE-SHOULD-NOT-BE-LOGGED",
        ))
        .await;
    assert!(response.status().is_redirection());
    let logs = captured.text();
    assert!(
        logs.contains("/auth/github/callback"),
        "the request is logged: {logs}"
    );
    assert!(!logs.contains("SHOULD-NOT-BE-LOGGED"), "{logs}");
}
