//! OpenRouter down at 9:00 sharp (issue 9, item 5), on SQLite and on Postgres: with every
//! OpenRouter call hanging, a room signing in and claiming at once is answered quickly —
//! sign-ins in well under a second, claims with a clear 503 in under two — the site
//! stays healthy, nothing is lost, and when OpenRouter is back every claim succeeds.

use std::time::{Duration, Instant};

use openrouter_sim::OutageKind;
use reqwest::header::RETRY_AFTER;

use crate::support::browser::Browser;
use crate::support::windows::Window;
use crate::support::{TestApp, TestAppBuilder};

const ROOM: usize = 50;

async fn claim(app: &TestApp, browser: &Browser) -> (u16, Option<u64>, Duration, String) {
    let started = Instant::now();
    let response = browser
        .client
        .post(app.url("/api/claim_key"))
        .form(&[("slug", "open-now")])
        .send()
        .await
        .unwrap();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let status = response.status().as_u16();
    (
        status,
        retry_after,
        started.elapsed(),
        response.text().await.unwrap(),
    )
}

/// Open now, with room and budget for everyone.
fn roomy_workshop() -> String {
    format!(
        "title: Open now\ntimezone: UTC\n{}key_limit_usd: 1\nlimit_usd: 1000\n\
         allowed_models: [openai/gpt-5-nano]\nkey_pool: 0\n",
        Window::open_now().yaml()
    )
}

async fn a_hanging_openrouter_stalls_nothing(url: String) {
    let app = TestAppBuilder::new()
        .workshop("open-now", &roomy_workshop())
        .database(&url)
        // A deployment's timeout is 5 s; half a second keeps this test short. The
        // breaker keeps every claim after the first wave from waiting at all.
        .openrouter_timeout(Duration::from_millis(500))
        .spawn()
        .await;
    // While OpenRouter is up, one claim: the workshop guardrail is known from then on.
    let early = app.demo_sign_in("early@example.com").await;
    assert_eq!(claim(&app, &early).await.0, 200);
    let mut room = Vec::new();
    for n in 0..ROOM {
        room.push(app.demo_sign_in(&format!("attendee{n}@example.com")).await);
    }
    let room = std::sync::Arc::new(room);
    let app = std::sync::Arc::new(app);

    app.simulator()
        .outage(OutageKind::Hang, Duration::from_secs(600));
    let mut sign_ins = Vec::new();
    let mut claims = Vec::new();
    for n in 0..ROOM {
        let app_for_sign_in = app.clone();
        sign_ins.push(tokio::spawn(async move {
            let started = Instant::now();
            app_for_sign_in
                .demo_sign_in(&format!("newcomer{n}@example.com"))
                .await;
            started.elapsed()
        }));
        let (app, room) = (app.clone(), room.clone());
        claims.push(tokio::spawn(async move { claim(&app, &room[n]).await }));
    }
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200, "the site stays healthy");
    for sign_in in sign_ins {
        let took = sign_in.await.unwrap();
        assert!(took < Duration::from_secs(1), "a sign-in took {took:?}");
    }
    for claim in claims {
        let (status, retry_after, took, body) = claim.await.unwrap();
        assert_eq!(
            status, 503,
            "a clear 'OpenRouter is not answering': {body} ({took:?})"
        );
        assert!(retry_after.is_some(), "with a time to try again");
        assert!(took < Duration::from_secs(2), "a claim took {took:?}");
    }
    assert_eq!(app.get("/healthz").await.status(), 200);

    // OpenRouter is back: every place was kept, and every attendee gets their key,
    // each trying again when told to.
    app.simulator().clear_faults();
    for browser in room.iter() {
        let mut tries = 0;
        loop {
            let (status, retry_after, _, _) = claim(&app, browser).await;
            if status == 200 {
                break;
            }
            tries += 1;
            assert!(
                status == 503 && tries < 10,
                "status {status} after {tries} tries"
            );
            // Waiting as the server said, not for a race to settle.
            tokio::time::sleep(Duration::from_secs(retry_after.unwrap_or(1))).await;
        }
    }
    let database = app.database().await;
    let rows = database.list_attendance("open-now").await.unwrap();
    assert_eq!(rows.len(), ROOM + 1);
    assert!(rows.iter().all(|row| row.or_key_plaintext.is_some()));
    let keys: Vec<_> = app
        .simulator()
        .keys()
        .into_iter()
        .filter(|key| key.data.name.starts_with("workshop-open-now-"))
        .collect();
    assert_eq!(
        keys.len(),
        ROOM + 1,
        "one key each, no duplicates, no orphans"
    );
    for key in keys {
        assert!(rows
            .iter()
            .any(|row| row.or_key_hash.as_deref() == Some(key.data.hash.as_str())));
    }
}

on_both_databases!(
    a_hanging_openrouter_stalls_nothing,
    a_hanging_openrouter_stalls_nothing
);
