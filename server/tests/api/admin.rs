//! The organiser's side over real HTTP (issue 12): who may see and do what (401 signed
//! out, 403 for attendees, for admins of another workshop, for a workshop that does not
//! exist, and for an address that is only a `+tag` of an admin's), the table's search,
//! filter, sort and pages, the actions (retry, disable and enable, disable all, sync,
//! re-apply a drifted guardrail, simulated activity), the change mark the live page
//! polls, and the CSV exports.

use serde_json::Value;

use crate::support::browser::Browser;
use crate::support::windows::Window;
use crate::support::{open_workshop, workshop_file, TestApp, TestAppBuilder};

/// `open-now` for organiser@example.com, `other` for someone else, plenty of budget.
async fn admin_app() -> TestApp {
    let roomy = |title: &str, admin: &str| {
        format!(
            "title: {title}\ntimezone: Europe/Berlin\n{}key_limit_usd: 1\nlimit_usd: 1000\n\
             allowed_models: [openai/gpt-5-nano]\nkey_pool: 0\nadmins: [{admin}]\n\
             marketing_opt_in_text: Send me news.\n",
            Window::open_now().yaml()
        )
    };
    TestAppBuilder::new()
        .workshop("open-now", &roomy("Open now", "organiser@example.com"))
        .workshop("other", &roomy("Other", "other-organiser@example.com"))
        .workshop("closed", &workshop_file("Closed", Window::closed(), ""))
        .openrouter_breaker(std::time::Duration::ZERO)
        .spawn()
        .await
}

/// Every admin server function with a form for `slug`.
fn admin_calls(slug: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let slug = slug.to_string();
    vec![
        ("get_admin_workshop", vec![("slug", slug.clone())]),
        ("list_claims", vec![("slug", slug.clone())]),
        ("get_change_mark", vec![("slug", slug.clone())]),
        (
            "retry_binding",
            vec![("slug", slug.clone()), ("row", "nope".into())],
        ),
        ("retry_all_unbound", vec![("slug", slug.clone())]),
        ("sync_usage_now", vec![("slug", slug.clone())]),
        (
            "set_key_disabled",
            vec![
                ("slug", slug.clone()),
                ("row", "nope".into()),
                ("disabled", "true".into()),
            ],
        ),
        (
            "disable_all_keys",
            vec![("slug", slug.clone()), ("confirmation", "wrong".into())],
        ),
        ("get_guardrail_drift", vec![("slug", slug.clone())]),
        ("reapply_guardrail", vec![("slug", slug.clone())]),
        ("simulate_activity", vec![("slug", slug)]),
    ]
}

async fn call(
    app: &TestApp,
    browser: &Browser,
    name: &str,
    form: &[(&str, String)],
) -> (u16, Value) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.call(browser, name, &form).await
}

#[tokio::test]
async fn only_a_workshops_own_admins_get_in() {
    let app = admin_app().await;
    let nobody = Browser::new();
    let attendee = app.demo_sign_in("ada@example.com").await;
    let tagged = app.demo_sign_in("organiser+x@example.com").await;
    let other_admin = app.demo_sign_in("other-organiser@example.com").await;
    let admin = app.demo_sign_in("organiser@example.com").await;
    for (name, form) in admin_calls("open-now") {
        assert_eq!(
            call(&app, &nobody, name, &form).await.0,
            401,
            "{name} signed out"
        );
        assert_eq!(
            call(&app, &attendee, name, &form).await.0,
            403,
            "{name} as an attendee"
        );
        assert_eq!(
            call(&app, &tagged, name, &form).await.0,
            403,
            "{name} as a +tag of the admin"
        );
        assert_eq!(
            call(&app, &other_admin, name, &form).await.0,
            403,
            "{name} as another workshop's admin"
        );
    }
    // A workshop that does not exist looks just like one that is not yours.
    for (name, form) in admin_calls("no-such-workshop") {
        assert_eq!(
            call(&app, &admin, name, &form).await.0,
            403,
            "{name} of an unknown workshop"
        );
    }
    let (status, workshop) = call(
        &app,
        &admin,
        "get_admin_workshop",
        &[("slug", "open-now".into())],
    )
    .await;
    assert_eq!(status, 200, "{workshop}");
    assert_eq!(workshop["workshop"]["slug"], "open-now");

    // The list shows your workshops only, and says nothing of the others.
    let (status, list) = call(&app, &other_admin, "list_my_workshops", &[]).await;
    assert_eq!(status, 200);
    let slugs: Vec<&str> = list["workshops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| card["workshop"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["other"]);
    assert!(!list.to_string().contains("open-now"));
    assert_eq!(call(&app, &nobody, "list_my_workshops", &[]).await.0, 401);

    // Pages: signed out goes to sign in and back; others see a 403 page.
    let page = nobody.get(&app.url("/admin/open-now")).await;
    assert!(page.status().is_redirection(), "{}", page.status());
    let location = page.headers()["location"].to_str().unwrap();
    assert_eq!(location, "/signin?next=%2Fadmin%2Fopen-now");
    assert_eq!(
        attendee.get(&app.url("/admin/open-now")).await.status(),
        403
    );
    assert_eq!(
        other_admin.get(&app.url("/admin/open-now")).await.status(),
        403
    );
    let page = admin.get(&app.url("/admin/open-now")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Retry all unbound"),
        "the actions are on the page"
    );

    // The CSVs, the same way.
    for path in ["/admin/open-now/claims.csv", "/admin/open-now/opt-ins.csv"] {
        assert_eq!(nobody.get(&app.url(path)).await.status(), 401, "{path}");
        assert_eq!(attendee.get(&app.url(path)).await.status(), 403, "{path}");
        assert_eq!(
            other_admin.get(&app.url(path)).await.status(),
            403,
            "{path}"
        );
        assert_eq!(admin.get(&app.url(path)).await.status(), 200, "{path}");
    }
    assert_eq!(
        admin
            .get(&app.url("/admin/no-such/claims.csv"))
            .await
            .status(),
        403
    );
}

/// Claims for `count` attendees `person<n>@example.com`; returns their browsers' keys.
async fn claims(app: &TestApp, count: usize) -> Vec<String> {
    let mut keys = Vec::new();
    for n in 0..count {
        let browser = app.demo_sign_in(&format!("person{n:03}@example.com")).await;
        let (status, key) = app
            .call(&browser, "claim_key", &[("slug", "open-now")])
            .await;
        assert_eq!(status, 200, "{key}");
        keys.push(key["key"].as_str().unwrap().to_string());
    }
    keys
}

/// Waits until no instance holds the usage-sync lease (fails after 20 s).
async fn wait_until_no_usage_sync_runs(app: &TestApp) {
    let database = app.database().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let now = chrono::Utc::now().timestamp();
        // Taken and at once free again (held until now): nobody else held it.
        let free = database
            .take_background_lease("usage-sync", "test-observer", now, now)
            .await
            .unwrap();
        if free.is_some() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a usage sync never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await; // poll interval
    }
}

async fn table(app: &TestApp, admin: &Browser, form: &[(&str, &str)]) -> Value {
    let mut full = vec![("slug", "open-now")];
    full.extend_from_slice(form);
    let (status, table) = app.call(admin, "list_claims", &full).await;
    assert_eq!(status, 200, "{table}");
    table
}

#[tokio::test]
async fn the_table_searches_filters_sorts_and_pages_on_the_server() {
    let app = admin_app().await;
    claims(&app, 60).await;
    let sim = app.simulator();
    // Spend on one key, so sorting by spend has a top.
    let database = app.database().await;
    let rows = database.list_attendance("open-now").await.unwrap();
    let top = rows
        .iter()
        .find(|row| row.email_normalized == "person007@example.com")
        .unwrap();
    assert!(sim.add_usage(top.key_hash().unwrap(), 0.5));
    let admin = app.demo_sign_in("organiser@example.com").await;
    let (status, _) = app
        .call(&admin, "sync_usage_now", &[("slug", "open-now")])
        .await;
    assert_eq!(status, 200);

    let first = table(&app, &admin, &[]).await;
    assert_eq!(first["total"], 60);
    assert_eq!(first["pages"], 2);
    assert_eq!(first["rows"].as_array().unwrap().len(), 50);
    let second = table(&app, &admin, &[("page", "2")]).await;
    assert_eq!(second["rows"].as_array().unwrap().len(), 10);
    // Newest first by default (claims in the same second tie; any order among them).
    let claimed_at = |table: &Value| -> Vec<i64> {
        table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["claimed_at"]["unix"].as_i64().unwrap())
            .collect()
    };
    let newest = claimed_at(&first);
    assert!(
        newest.windows(2).all(|pair| pair[0] >= pair[1]),
        "{newest:?}"
    );
    let oldest = table(&app, &admin, &[("sort", "oldest")]).await;
    let oldest = claimed_at(&oldest);
    assert!(
        oldest.windows(2).all(|pair| pair[0] <= pair[1]),
        "{oldest:?}"
    );
    assert!(oldest[0] <= *newest.last().unwrap());
    let spenders = table(&app, &admin, &[("sort", "most-spent")]).await;
    assert_eq!(spenders["rows"][0]["email"], "person007@example.com");
    assert_eq!(
        spenders["rows"][0]["spent"],
        serde_json::json!({ "micros": 500000 })
    );

    let found = table(&app, &admin, &[("search", "PERSON01")]).await;
    assert_eq!(found["total"], 10, "person010…person019, case-insensitive");
    let literal = table(&app, &admin, &[("search", "%")]).await;
    assert_eq!(literal["total"], 0, "% is searched literally");
    let bound = table(&app, &admin, &[("status", "bound")]).await;
    assert_eq!(bound["total"], 60);
    let unbound = table(&app, &admin, &[("status", "unbound")]).await;
    assert_eq!(unbound["total"], 0);
    let (status, refused) = app
        .call(
            &admin,
            "list_claims",
            &[("slug", "open-now"), ("status", "weird")],
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    // The organiser never sees a key.
    let everything = format!("{first}{second}");
    for row in &rows {
        let key = database.open_key(row).unwrap().unwrap();
        assert!(
            !everything.contains(key.expose()),
            "a plaintext key in the table"
        );
    }
}

on_both_databases!(
    a_page_number_of_any_size_is_answered_never_a_500,
    |url: String| async move {
        let app = TestAppBuilder::new()
            .workshop("open-now", &open_workshop())
            .database(&url)
            .spawn()
            .await;
        claims(&app, 2).await;
        let admin = app.demo_sign_in("organiser@example.com").await;
        for page in [
            "9223372036854775807",
            "-9223372036854775808",
            "0",
            "184467440737095516",
        ] {
            let (status, answer) = app
                .call(
                    &admin,
                    "list_claims",
                    &[("slug", "open-now"), ("page", page)],
                )
                .await;
            assert_eq!(status, 200, "page={page}: {answer}");
            assert_eq!(answer["total"], 2, "page={page}");
        }
    }
);

#[tokio::test]
async fn organiser_actions_change_keys_and_say_what_they_did() {
    let app = admin_app().await;
    let keys = claims(&app, 3).await;
    let sim = app.simulator();
    let admin = app.demo_sign_in("organiser@example.com").await;
    let rows = table(&app, &admin, &[]).await;
    let row = rows["rows"][0]["id"].as_str().unwrap().to_string();

    // Disable one key: OpenRouter and the row say so; the change mark moves.
    let (_, before) = app
        .call(&admin, "get_change_mark", &[("slug", "open-now")])
        .await;
    let (status, disabled) = app
        .call(
            &admin,
            "set_key_disabled",
            &[("slug", "open-now"), ("row", &row), ("disabled", "true")],
        )
        .await;
    assert_eq!(status, 200, "{disabled}");
    assert_eq!(disabled["status"], "disabled");
    let disabled_on_openrouter = sim
        .keys()
        .into_iter()
        .filter(|key| key.data.disabled)
        .count();
    assert_eq!(disabled_on_openrouter, 1);
    let (_, after) = app
        .call(&admin, "get_change_mark", &[("slug", "open-now")])
        .await;
    assert_ne!(before, after, "the live page sees the change");
    let (status, enabled) = app
        .call(
            &admin,
            "set_key_disabled",
            &[("slug", "open-now"), ("row", &row), ("disabled", "false")],
        )
        .await;
    assert_eq!((status, enabled["status"].as_str()), (200, Some("bound")));

    // Disable all needs the workshop's name typed.
    let (status, refused) = app
        .call(
            &admin,
            "disable_all_keys",
            &[("slug", "open-now"), ("confirmation", "yes")],
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(sim.keys().iter().all(|key| !key.data.disabled));
    let (status, report) = app
        .call(
            &admin,
            "disable_all_keys",
            &[("slug", "open-now"), ("confirmation", "open-now")],
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report, serde_json::json!({ "disabled": 3, "failed": 0 }));
    assert!(sim.keys().iter().all(|key| key.data.disabled));
    let disabled_rows = table(&app, &admin, &[("status", "disabled")]).await;
    assert_eq!(disabled_rows["total"], 3);
    // …and the attendee's page says the key was disabled.
    let attendee = app.demo_sign_in("person000@example.com").await;
    let (_, page) = app
        .call(&attendee, "get_claim_page", &[("slug", "open-now")])
        .await;
    assert_eq!(page["claim"]["Key"]["disabled"], true);
    assert_eq!(page["claim"]["Key"]["key"].as_str(), Some(keys[0].as_str()));
    // That page view started a usage sync in the background (its figures were stale).
    // Let it finish: its listing, taken while the keys were disabled, landing after the
    // Enable below would mark the key disabled again until the next sync.
    wait_until_no_usage_sync_runs(&app).await;

    // Simulated activity (demo mode) spends and syncs: the figures move.
    let (status, spent) = app
        .call(&admin, "simulate_activity", &[("slug", "open-now")])
        .await;
    assert_eq!(status, 200, "{spent}");
    // Disabled keys spend nothing: enable one first.
    app.call(
        &admin,
        "set_key_disabled",
        &[("slug", "open-now"), ("row", &row), ("disabled", "false")],
    )
    .await;
    let (_, spent) = app
        .call(&admin, "simulate_activity", &[("slug", "open-now")])
        .await;
    assert_eq!(spent, 1);
    let (_, workshop) = app
        .call(&admin, "get_admin_workshop", &[("slug", "open-now")])
        .await;
    assert!(
        workshop["figures"]["spent"]["micros"].as_i64().unwrap() > 0,
        "{workshop}"
    );
    assert_eq!(workshop["figures"]["claimed"], 3);
}

#[tokio::test]
async fn a_drifted_guardrail_is_shown_and_re_applied() {
    let app = admin_app().await;
    claims(&app, 1).await;
    let admin = app.demo_sign_in("organiser@example.com").await;
    let (status, drift) = app
        .call(&admin, "get_guardrail_drift", &[("slug", "open-now")])
        .await;
    assert_eq!(status, 200, "{drift}");
    assert_eq!(
        drift["differences"],
        serde_json::json!([]),
        "in step after creation"
    );

    // Someone edits the guardrail on OpenRouter's dashboard.
    let id = drift["id"].as_str().unwrap().to_string();
    let sim_url = app.simulator_url();
    let edited = reqwest::Client::new()
        .patch(format!("{sim_url}/guardrails/{id}"))
        .bearer_auth("sk-or-v1-demo-simulator")
        .json(&serde_json::json!({ "allowed_models": ["anthropic/claude-sonnet-4.6"], "limit_usd": 5.0, "reset_interval": "monthly" }))
        .send()
        .await
        .unwrap();
    let status = edited.status();
    assert!(
        status.is_success(),
        "{status} {}",
        edited.text().await.unwrap()
    );
    let (_, drift) = app
        .call(&admin, "get_guardrail_drift", &[("slug", "open-now")])
        .await;
    let differences = drift["differences"].to_string();
    assert!(
        differences.contains("openai/gpt-5-nano is missing"),
        "{differences}"
    );
    assert!(differences.contains("limit"), "{differences}");

    let (status, fixed) = app
        .call(&admin, "reapply_guardrail", &[("slug", "open-now")])
        .await;
    assert_eq!(status, 200, "{fixed}");
    assert_eq!(fixed["differences"], serde_json::json!([]));
}

#[tokio::test]
async fn the_exports_stream_every_claim_and_only_opt_ins_without_keys() {
    let app = admin_app().await;
    let keys = claims(&app, 3).await;
    // One of them opts in, at this workshop.
    let fan = app.demo_sign_in("person001@example.com").await;
    let (status, _) = app
        .call(
            &fan,
            "set_marketing_opt_in",
            &[("slug", "open-now"), ("opted_in", "true")],
        )
        .await;
    assert_eq!(status, 200);
    // Someone whose name would run as a spreadsheet formula.
    let formula = Browser::new();
    formula
        .post_form(
            &app.url("/auth/demo"),
            &[
                ("name", "=HYPERLINK(\"x\")"),
                ("email", "formula@example.com"),
            ],
        )
        .await;
    app.call(&formula, "claim_key", &[("slug", "open-now")])
        .await;

    let admin = app.demo_sign_in("organiser@example.com").await;
    let response = admin.get(&app.url("/admin/open-now/claims.csv")).await;
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("open-now-claims.csv"));
    assert_eq!(response.headers()["cache-control"], "no-store");
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("email,name,provider,claimed_at_utc,status,key_label,key_hash_prefix")
    );
    assert_eq!(lines.len(), 1 + 4, "a header and a line per claim");
    for key in &keys {
        assert!(
            !csv.contains(key.as_str()),
            "no plaintext key in the export"
        );
    }
    let database = app.database().await;
    for row in database.list_attendance("open-now").await.unwrap() {
        let hash = row.key_hash().unwrap().to_string();
        assert!(!csv.contains(&hash), "no whole key hash");
        assert!(
            csv.contains(&hash[..8]),
            "its first 8 characters identify it"
        );
    }
    assert!(csv.contains("'=HYPERLINK"), "formulas are defused: {csv}");

    // Compressed, as browsers ask for it, the stream ends cleanly too.
    for path in ["/admin/open-now/claims.csv", "/admin/open-now/opt-ins.csv"] {
        let compressed = admin
            .client
            .get(app.url(path))
            .header("accept-encoding", "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.headers()["content-encoding"], "br", "{path}");
        let bytes = compressed.bytes().await.expect("the whole compressed body");
        assert!(!bytes.is_empty(), "{path}");
    }
    let opt_ins = admin
        .get(&app.url("/admin/open-now/opt-ins.csv"))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = opt_ins.lines().collect();
    assert_eq!(lines[0], "email,name,opted_in_at_utc,workshop");
    assert_eq!(lines.len(), 2, "{opt_ins}");
    assert!(lines[1].starts_with("person001@example.com,"));
    assert!(lines[1].ends_with(",open-now"));
}
