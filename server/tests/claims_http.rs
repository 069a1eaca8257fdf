//! The claim and admin server functions over real HTTP, in demo mode with its in-process
//! OpenRouter simulator: who may call what, forged input, the attendee's claim and their
//! key coming back, an unbound key retried from the admin side, and "sync now".

mod support;

use serde_json::Value;
use server::openrouter_simulator::{FaultAction, FaultRule, Simulator};
use support::browser::Browser;
use support::{TestApp, TestAppBuilder, OPEN_WORKSHOP};

const ASSIGN_ROUTE: &str = "POST /guardrails/{id}/assignments/keys";

const CLOSED_WORKSHOP: &str = "\
title: Last year
timezone: UTC
claims_open_at: 2020-01-01T08:00:00Z
claims_close_at: 2020-01-01T18:00:00Z
key_limit_usd: 2
limit_usd: 10
allowed_models: [openai/gpt-5-nano]
";

const STAFF_ONLY_WORKSHOP: &str = "\
title: Staff only
timezone: UTC
claims_open_at: 2020-01-01T08:00:00Z
claims_close_at: 2099-01-01T18:00:00Z
key_limit_usd: 2
limit_usd: 10
allowed_models: [openai/gpt-5-nano]
allowed_email_domains: [staff.example.org]
";

async fn demo_app() -> TestApp {
    TestAppBuilder::new()
        .workshop("open-now", OPEN_WORKSHOP)
        .workshop("last-year", CLOSED_WORKSHOP)
        .workshop("staff-only", STAFF_ONLY_WORKSHOP)
        .spawn()
        .await
}

async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let browser = Browser::new();
    let response = browser
        .post_form(
            &app.url("/auth/demo"),
            &[("name", "Grace"), ("email", email), ("next", "/w/open-now")],
        )
        .await;
    assert_eq!(response.status(), 303);
    browser
}

/// Calls server function `name` with a form body; returns the status and the JSON.
async fn call(app: &TestApp, browser: &Browser, name: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = browser
        .client
        .post(app.url(&format!("/api/{name}")))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn simulator(app: &TestApp) -> &Simulator {
    app.demo_simulator
        .as_ref()
        .expect("demo mode runs a simulator")
}

#[tokio::test]
async fn an_attendee_claims_once_and_gets_the_same_key_back() {
    let app = demo_app().await;
    let ada = signed_in(&app, "ada@example.com").await;
    let (status, mine) = call(&app, &ada, "my_claim", &[("slug", "open-now")]).await;
    assert_eq!((status, mine), (200, Value::Null));

    let (status, claimed) = call(&app, &ada, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 200, "{claimed}");
    let key = claimed["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("sk-or-v1-"));
    assert_eq!(claimed["bound"], Value::Bool(true));
    // Keys expire a day after claims close; shown in the workshop's zone like the page.
    assert_eq!(claimed["expires"]["utc"], "2100-01-01T17:00:00Z");
    assert_eq!(
        claimed["expires"]["in_workshop_zone"],
        "Fri 1 Jan 2100, 18:00 CET"
    );

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
async fn admin_functions_are_for_admins_only() {
    let app = demo_app().await;
    let nobody = Browser::new();
    let ada = signed_in(&app, "ada@example.com").await;
    let admin = signed_in(&app, "organiser@example.com").await;
    let calls: [(&str, Vec<(&str, &str)>); 3] = [
        (
            "retry_binding",
            vec![("slug", "open-now"), ("email", "ada@example.com")],
        ),
        ("retry_all_unbound", vec![("slug", "open-now")]),
        ("sync_usage_now", vec![("slug", "open-now")]),
    ];
    for (name, form) in &calls {
        assert_eq!(
            call(&app, &nobody, name, form).await.0,
            401,
            "{name} anonymous"
        );
        assert_eq!(
            call(&app, &ada, name, form).await.0,
            403,
            "{name} as an attendee"
        );
    }
    let (status, report) = call(&app, &admin, "retry_all_unbound", &[("slug", "open-now")]).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["bound"], 0);
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
    let row = &claims[0];
    assert_eq!(row["status"], "minted");
    assert!(row["last_error"].as_str().unwrap().contains("assignment"));
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
        &[("slug", "open-now"), ("email", "ada@example.com")],
    )
    .await;
    assert_eq!(status, 503);

    sim.clear_faults();
    let (status, row) = call(
        &app,
        &admin,
        "retry_binding",
        &[("slug", "open-now"), ("email", "ada@example.com")],
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
