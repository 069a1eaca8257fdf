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
            .any(|row| row.key_hash() == Some(key.data.hash.as_str())));
    }
}

on_both_databases!(
    a_hanging_openrouter_stalls_nothing,
    a_hanging_openrouter_stalls_nothing
);

/// OpenRouter answering `POST /keys` with 429 and `Retry-After: 3` (issue 19, item 1):
/// every click of a room is answered at once with its place kept, no click turns into
/// another call before OpenRouter's time, and once it has passed the server finishes
/// every kept place on its own.
async fn a_rate_limit_is_honoured_by_the_whole_instance(url: String) {
    let app = TestAppBuilder::new()
        .workshop("open-now", &roomy_workshop())
        .database(&url)
        .spawn()
        .await;
    // The guardrail exists before the window (one claim while OpenRouter is fine).
    let early = app.demo_sign_in("early@example.com").await;
    assert_eq!(claim(&app, &early).await.0, 200);
    let creates_before = app.simulator().call_count("POST /keys");

    app.simulator()
        .inject(
            serde_json::from_value(serde_json::json!({
                "route": "POST /keys",
                "action": { "kind": "rate_limited", "retry_after_secs": 3 },
                "times": 1
            }))
            .unwrap(),
        )
        .unwrap();
    let window_started = Instant::now();
    let mut room = Vec::new();
    for n in 0..5 {
        room.push(app.demo_sign_in(&format!("attendee{n}@example.com")).await);
    }
    // Eight clicks of the first attendee, then one of each other: all answered at once.
    let mut clicks = Vec::new();
    for _ in 0..8 {
        clicks.push(claim(&app, &room[0]).await);
    }
    for attendee in &room[1..] {
        clicks.push(claim(&app, attendee).await);
    }
    for (status, retry_after, took, body) in &clicks {
        assert_eq!(*status, 503, "{body}");
        assert!(retry_after.is_some_and(|secs| secs >= 1), "{body}");
        assert!(*took < Duration::from_secs(2), "answered in {took:?}");
    }
    assert!(
        window_started.elapsed() < Duration::from_secs(3),
        "still inside the window"
    );
    assert_eq!(
        app.simulator().call_count("POST /keys") - creates_before,
        1,
        "one create, the one OpenRouter refused"
    );
    // Their page says so: the place is kept and the server keeps trying.
    for attendee in &room {
        let (status, page) = app
            .call(attendee, "get_claim_page", &[("slug", "open-now")])
            .await;
        assert_eq!(status, 200);
        assert_eq!(page["claim"]["Preparing"]["retrying"], true, "{page}");
    }

    // After the window, nobody clicking again: the sweep finishes every kept place.
    let database = app.database().await;
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let rows = database.list_attendance("open-now").await.unwrap();
        let keyed = rows
            .iter()
            .filter(|row| row.or_key_plaintext.is_some())
            .count();
        if keyed == 6 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{keyed} of 6 places keyed 40 s after a 3 s rate limit"
        );
        tokio::time::sleep(Duration::from_millis(100)).await; // poll interval
    }
    let creates = app.simulator().call_count("POST /keys") - creates_before;
    assert_eq!(creates, 6, "one refused create, then one per kept place");
}

on_both_databases!(
    a_429_answers_every_click_at_once_and_the_kept_places_are_keyed_after_it,
    a_rate_limit_is_honoured_by_the_whole_instance
);
