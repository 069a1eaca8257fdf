//! The claim and admin server functions over real HTTP, in demo mode with its in-process
//! OpenRouter simulator: who may call what, forged input, the attendee's claim and their
//! key coming back, an unbound key retried from the admin side, and "sync now".

use crate::support::browser::Browser;
use crate::support::windows::{rfc3339, Window};
use crate::support::{workshop_file, TestApp, TestAppBuilder};
use openrouter_sim::{FaultAction, FaultRule, Simulator};
use serde_json::Value;

const ASSIGN_ROUTE: &str = "POST /guardrails/{id}/assignments/keys";

fn closed_workshop() -> String {
    workshop_file("Last year", Window::closed(), "")
}

fn staff_only_workshop() -> String {
    workshop_file(
        "Staff only",
        Window::open_now(),
        "allowed_email_domains: [staff.example.org]\n",
    )
}

async fn demo_app() -> TestApp {
    demo_app_open(Window::open_now()).await
}

/// The demo app with `open-now` open during `window`.
async fn demo_app_open(window: Window) -> TestApp {
    let open_now = workshop_file("Open now", window, "admins: [organiser@example.com]\n");
    TestAppBuilder::new()
        // Faults are injected and cleared here; the very next call must go through.
        .openrouter_breaker(std::time::Duration::ZERO)
        .workshop("open-now", &open_now)
        .workshop("last-year", &closed_workshop())
        .workshop("staff-only", &staff_only_workshop())
        .spawn()
        .await
}

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    app.demo_sign_in(email).await
}

async fn call(app: &TestApp, browser: &Browser, name: &str, form: &[(&str, &str)]) -> (u16, Value) {
    app.call(browser, name, form).await
}

fn simulator(app: &TestApp) -> &Simulator {
    app.simulator()
}

#[tokio::test]
async fn an_attendee_claims_once_and_gets_the_same_key_back() {
    let window = Window::open_now();
    let app = demo_app_open(window).await;
    let ada = signed_in(&app, "ada@example.com").await;
    let (status, mine) = call(&app, &ada, "my_claim", &[("slug", "open-now")]).await;
    assert_eq!((status, mine), (200, Value::Null));

    let (status, claimed) = call(&app, &ada, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 200, "{claimed}");
    let key = claimed["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("sk-or-v1-"));
    assert_eq!(claimed["bound"], Value::Bool(true));
    // Keys expire a day after claims close; shown in the workshop's zone like the page.
    let expires = window.default_key_expiry();
    assert_eq!(claimed["expires"]["utc"], rfc3339(expires).as_str());
    let in_berlin = expires
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%a %-d %b %Y, %H:%M %Z")
        .to_string();
    assert_eq!(claimed["expires"]["in_workshop_zone"], in_berlin.as_str());

    let (_, again) = call(&app, &ada, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(again["key"].as_str(), Some(key.as_str()));
    let (_, mine) = call(&app, &ada, "my_claim", &[("slug", "open-now")]).await;
    assert_eq!(mine["key"].as_str(), Some(key.as_str()));
    assert_eq!(simulator(&app).call_count("POST /keys"), 1);

    // Another attendee sees only their own claim, never Ada's key.
    let bob = signed_in(&app, "bob@example.com").await;
    let (_, theirs) = call(&app, &bob, "my_claim", &[("slug", "open-now")]).await;
    assert_eq!(theirs, Value::Null);
}

#[tokio::test]
async fn claims_refuse_strangers_unknown_workshops_and_forged_bodies() {
    let app = demo_app().await;
    let nobody = Browser::new();
    let (status, _) = call(&app, &nobody, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 401);
    // Nobody has no key (every workshop page asks, signed in or not).
    let (status, mine) = call(&app, &nobody, "my_claim", &[("slug", "open-now")]).await;
    assert_eq!((status, mine), (200, Value::Null));

    let ada = signed_in(&app, "ada@example.com").await;
    let (status, body) = call(&app, &ada, "claim_key", &[("slug", "no-such-thing")]).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(&app, &ada, "claim_key", &[("slug", "../../etc")]).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        !body.to_string().contains("etc"),
        "input is not echoed: {body}"
    );
    let (status, _) = call(&app, &ada, "claim_key", &[("workshop", "open-now")]).await;
    assert_eq!(status, 400);
    assert_eq!(simulator(&app).call_count("POST /keys"), 0);
}

#[tokio::test]
async fn an_unbound_key_is_shown_to_the_admin_and_bound_by_retry() {
    let app = demo_app().await;
    let sim = simulator(&app);
    sim.inject(FaultRule::every(
        ASSIGN_ROUTE,
        FaultAction::ServerError { status: 503 },
    ))
    .unwrap();
    let ada = signed_in(&app, "ada@example.com").await;
    let (status, claimed) = call(&app, &ada, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 200, "the attendee gets a working key: {claimed}");
    assert_eq!(claimed["bound"], Value::Bool(false));

    let admin = signed_in(&app, "organiser@example.com").await;
    let (_, claims) = call(&app, &admin, "list_claims", &[("slug", "open-now")]).await;
    let row = &claims["rows"][0];
    assert_eq!(row["status"], "unbound");
    assert!(row["last_error"].as_str().unwrap().contains("assignment"));
    let id = row["id"].as_str().unwrap().to_string();
    assert!(
        !claims
            .to_string()
            .contains(claimed["key"].as_str().unwrap()),
        "admins never see keys"
    );

    // Still failing: the admin is told, and the row stays unbound.
    let (status, _) = call(
        &app,
        &admin,
        "retry_binding",
        &[("slug", "open-now"), ("row", &id)],
    )
    .await;
    assert_eq!(status, 503);

    sim.clear_faults();
    let (status, row) = call(
        &app,
        &admin,
        "retry_binding",
        &[("slug", "open-now"), ("row", &id)],
    )
    .await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["status"], "bound");
    assert_eq!(row["last_error"], Value::Null);
    let (_, mine) = call(&app, &ada, "my_claim", &[("slug", "open-now")]).await;
    assert_eq!(mine["bound"], Value::Bool(true));
}

#[tokio::test]
async fn sync_now_copies_usage_for_the_attendee_to_see() {
    let app = demo_app().await;
    let ada = signed_in(&app, "ada@example.com").await;
    let (_, claimed) = call(&app, &ada, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(claimed["usage"], Value::Null);
    let sim = simulator(&app);
    let [key] = sim.keys().try_into().unwrap();
    assert!(sim.add_usage(&key.data.hash, 0.125));

    let admin = signed_in(&app, "organiser@example.com").await;
    let (status, outcome) = call(&app, &admin, "sync_usage_now", &[("slug", "open-now")]).await;
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["Synced"]["keys_updated"], 1);
    let (_, mine) = call(&app, &ada, "my_claim", &[("slug", "open-now")]).await;
    assert_eq!(mine["usage"], serde_json::json!({ "micros": 125000 }));
    assert!(mine["usage_synced_at"].as_i64().is_some());
}

#[tokio::test]
async fn refusals_carry_their_status_and_a_plain_message() {
    let app = demo_app().await;
    let ada = signed_in(&app, "ada@example.com").await;
    let (status, body) = call(&app, &ada, "claim_key", &[("slug", "last-year")]).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.to_string().contains("closed at"), "{body}");
    let (status, body) = call(&app, &ada, "claim_key", &[("slug", "staff-only")]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.to_string().contains("@staff.example.org"), "{body}");
    assert_eq!(simulator(&app).call_count("POST /keys"), 0);
}
