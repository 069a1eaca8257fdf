//! The organiser's top-up (issue 21) over real HTTP, on SQLite and on Postgres: a top-up
//! moves the key's limit on OpenRouter and on the attendee's card, is refused past the
//! cap (saying how much is left) and past `max_key_limit_usd`, keeps the cap exactly
//! when twenty race for the last dollars, is refused to attendees and to another
//! workshop's organisers, and loses nothing when OpenRouter fails mid-way: the limit
//! stored ends equal to OpenRouter's; an expired key is refused. The bulk top-up
//! previews, then tops up the keys spent above 80 %.

use std::time::{Duration, Instant};

use openrouter_sim::{FaultAction, FaultRule};
use serde_json::Value;

use crate::support::browser::Browser;
use crate::support::windows::Window;
use crate::support::{TestApp, TestAppBuilder};

/// Keys of `key` dollars, a cap of `cap`, organised by organiser@example.com; `extra`
/// lines appended.
fn workshop(key: &str, cap: u32, extra: &str) -> String {
    format!(
        "title: Top-ups\ntimezone: UTC\n{}key_limit_usd: {key}\nlimit_usd: {cap}\n\
         allowed_models: [openai/gpt-5-nano]\nkey_pool: 0\nadmins: [organiser@example.com]\n{extra}",
        Window::open_now().yaml()
    )
}

async fn app_on(url: &str, key: &str, cap: u32, extra: &str) -> TestApp {
    TestAppBuilder::new()
        .workshop("ws", &workshop(key, cap, extra))
        .workshop(
            "other",
            &workshop("1", 100, "").replace("organiser@example.com", "other@example.com"),
        )
        .database(url)
        .openrouter_breaker(Duration::ZERO)
        .spawn()
        .await
}

/// Claims for `email`; returns the attendee's browser and the row id the table uses.
async fn claimed(app: &TestApp, email: &str) -> (Browser, String) {
    let browser = app.demo_sign_in(email).await;
    let (status, answer) = app.call(&browser, "claim_key", &[("slug", "ws")]).await;
    assert_eq!(status, 200, "{answer}");
    let row = app
        .database()
        .await
        .find_attendance_by_email("ws", email)
        .await
        .unwrap()
        .unwrap();
    (browser, row.key_name)
}

async fn top_up(app: &TestApp, who: &Browser, row: &str, add: &str) -> (u16, Value) {
    app.call(
        who,
        "top_up_key",
        &[("slug", "ws"), ("row", row), ("add_usd", add)],
    )
    .await
}

fn sim_limit(app: &TestApp, email_key_name: &str) -> Option<f64> {
    app.simulator()
        .keys()
        .into_iter()
        .find(|key| key.data.name == email_key_name)
        .and_then(|key| key.data.limit)
}

async fn a_top_up_reaches_openrouter_and_the_card(url: String) {
    let app = app_on(&url, "2", 10, "").await;
    let (ada, row) = claimed(&app, "ada@example.com").await;
    let organiser = app.demo_sign_in("organiser@example.com").await;
    let (status, answer) = top_up(&app, &organiser, &row, "1").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["limit"]["micros"], 3_000_000);
    assert_eq!(answer["topped_up"]["micros"], 1_000_000);
    assert_eq!(answer["top_ups"][0]["by"], "organiser@example.com");
    assert_eq!(answer["top_ups"][0]["added"]["micros"], 1_000_000);
    assert_eq!(
        sim_limit(&app, &row),
        Some(3.0),
        "OpenRouter has the new limit"
    );

    // The attendee's card: the new limit, and that the organiser topped it up.
    let (_, page) = app.call(&ada, "get_claim_page", &[("slug", "ws")]).await;
    assert_eq!(page["claim"]["Key"]["limit"]["micros"], 3_000_000, "{page}");
    assert_eq!(page["claim"]["Key"]["topped_up"]["micros"], 1_000_000);
    let card = ada.get(&app.url("/w/ws")).await.text().await.unwrap();
    assert!(
        card.contains("topped up by the organiser"),
        "the card says so"
    );

    // In claims.csv: what top-ups added.
    let csv = organiser
        .get(&app.url("/admin/ws/claims.csv"))
        .await
        .text()
        .await
        .unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let column = header
        .iter()
        .position(|name| *name == "topped_up_usd")
        .unwrap();
    let line: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(line[column], "1.000000");

    // Amounts are read strictly; a typo is refused with what to write.
    for bad in ["0", "-1", "two", "2.1234567", "5000"] {
        let (status, answer) = top_up(&app, &organiser, &row, bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    assert_eq!(sim_limit(&app, &row), Some(3.0));
}

on_both_databases!(
    a_top_up_moves_openrouters_limit_and_the_attendees_card,
    a_top_up_reaches_openrouter_and_the_card
);

async fn the_cap_and_the_key_maximum_hold(url: String) {
    let app = app_on(&url, "2", 12, "max_key_limit_usd: 4\n").await;
    let mut rows = Vec::new();
    for n in 0..4 {
        rows.push(claimed(&app, &format!("p{n}@example.com")).await.1);
    }
    let organiser = app.demo_sign_in("organiser@example.com").await;
    // $8 of $12 committed. +$3 fits the cap but passes the key maximum ($4).
    let (status, answer) = top_up(&app, &organiser, &rows[0], "3").await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.to_string().contains("can take $2.00 more"),
        "{answer}"
    );
    for row in &rows[..2] {
        let (status, answer) = top_up(&app, &organiser, row, "2").await;
        assert_eq!(status, 200, "{answer}");
    }
    // Now $12 of $12: nothing more fits, and the answer says how much is left.
    let (status, answer) = top_up(&app, &organiser, &rows[2], "1").await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer.to_string().contains("Only $0.00"), "{answer}");
    // A claim sees the top-ups as committed too.
    let late = app.demo_sign_in("late@example.com").await;
    let (status, _) = app.call(&late, "claim_key", &[("slug", "ws")]).await;
    assert_eq!(status, 409, "the budget is used up");
}

on_both_databases!(
    top_ups_stay_within_the_cap_and_the_key_maximum,
    the_cap_and_the_key_maximum_hold
);

async fn twenty_race_for_the_last_dollars(url: String) {
    // 20 keys of $0.50 commit $10 of $15: $5 left for 20 top-ups of $1 at once.
    let app = std::sync::Arc::new(app_on(&url, "0.5", 15, "").await);
    let mut rows = Vec::new();
    for n in 0..20 {
        rows.push(claimed(&app, &format!("r{n}@example.com")).await.1);
    }
    let organiser = std::sync::Arc::new(app.demo_sign_in("organiser@example.com").await);
    let racers: Vec<_> = rows
        .iter()
        .cloned()
        .map(|row| {
            let (app, organiser) = (app.clone(), organiser.clone());
            tokio::spawn(async move { top_up(&app, &organiser, &row, "1").await.0 })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        match racer.await.unwrap() {
            200 => won += 1,
            409 => {}
            other => panic!("a racer got {other}"),
        }
    }
    assert_eq!(won, 5, "exactly the $5 left");
    let limits: f64 = rows.iter().filter_map(|row| sim_limit(&app, row)).sum();
    assert!(
        (limits - 15.0).abs() < 1e-9,
        "OpenRouter's limits add up to {limits}"
    );
    let stored: i64 = app
        .database()
        .await
        .list_attendance("ws")
        .await
        .unwrap()
        .iter()
        .map(|row| row.limit_usd_micros)
        .sum();
    assert_eq!(stored, 15_000_000, "the cap, exactly");
}

on_both_databases!(
    twenty_concurrent_top_ups_respect_the_cap_exactly,
    twenty_race_for_the_last_dollars
);

async fn only_this_workshops_organisers(url: String) {
    let app = app_on(&url, "2", 10, "").await;
    let (ada, row) = claimed(&app, "ada@example.com").await;
    assert_eq!(top_up(&app, &ada, &row, "1").await.0, 403, "an attendee");
    let other = app.demo_sign_in("other@example.com").await;
    assert_eq!(
        top_up(&app, &other, &row, "1").await.0,
        403,
        "another workshop's organiser"
    );
    assert_eq!(
        top_up(&app, &Browser::new(), &row, "1").await.0,
        401,
        "signed out"
    );
    assert_eq!(sim_limit(&app, &row), Some(2.0));
    // Disabled and unbound keys are refused with what to do first.
    let organiser = app.demo_sign_in("organiser@example.com").await;
    app.call(
        &organiser,
        "set_key_disabled",
        &[("slug", "ws"), ("row", &row), ("disabled", "true")],
    )
    .await;
    let (status, answer) = top_up(&app, &organiser, &row, "1").await;
    assert_eq!(status, 400);
    assert!(answer.to_string().contains("enable it first"), "{answer}");
}

on_both_databases!(
    attendees_and_other_organisers_cannot_top_up,
    only_this_workshops_organisers
);

async fn nothing_is_lost_when_openrouter_fails_mid_way(url: String) {
    let app = app_on(&url, "2", 10, "").await;
    let (_, lost) = claimed(&app, "lost@example.com").await;
    let (_, failing) = claimed(&app, "failing@example.com").await;
    let (_, refused) = claimed(&app, "refused@example.com").await;
    let organiser = app.demo_sign_in("organiser@example.com").await;
    let route = "PATCH /keys/{hash}";

    // Applied on OpenRouter, the answer lost: the top-up stays reserved...
    app.simulator()
        .inject(FaultRule::next(route, 4, FaultAction::ResponseLost))
        .unwrap();
    let (status, _) = top_up(&app, &organiser, &lost, "1").await;
    assert_eq!(status, 503);
    // ...not applied, failing every time it is tried: reserved too...
    app.simulator()
        .inject(FaultRule::next(
            route,
            4,
            FaultAction::ServerError { status: 502 },
        ))
        .unwrap();
    let (status, _) = top_up(&app, &organiser, &failing, "1").await;
    assert_eq!(status, 503);
    // ...refused outright: released at once, nothing committed.
    app.simulator()
        .inject(FaultRule::next(
            route,
            4,
            FaultAction::RateLimited {
                retry_after_secs: 1,
            },
        ))
        .unwrap();
    let (status, _) = top_up(&app, &organiser, &refused, "1").await;
    assert_eq!(status, 503);
    assert_eq!(sim_limit(&app, &refused), Some(2.0));

    // The sweep reads the keys back and settles: the stored limits end as OpenRouter's.
    let database = app.database().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = database.list_attendance("ws").await.unwrap();
        let stored = |name: &str| {
            rows.iter()
                .find(|row| row.key_name == name)
                .map(|row| row.limit_usd_micros as f64 / 1e6)
        };
        let settled = [&lost, &failing, &refused]
            .iter()
            .all(|name| stored(name) == sim_limit(&app, name));
        if settled && stored(&lost) == Some(3.0) && stored(&failing) == Some(3.0) {
            assert_eq!(stored(&refused), Some(2.0));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not settled: stored {:?}/{:?}, OpenRouter {:?}/{:?}",
            stored(&lost),
            stored(&failing),
            sim_limit(&app, &lost),
            sim_limit(&app, &failing)
        );
        tokio::time::sleep(Duration::from_millis(200)).await; // poll interval
    }
}

on_both_databases!(
    openrouter_failing_mid_top_up_loses_nothing,
    nothing_is_lost_when_openrouter_fails_mid_way
);

async fn the_keys_running_out_are_topped_up_together(url: String) {
    let app = app_on(&url, "2", 12, "").await;
    let mut rows = Vec::new();
    for n in 0..4 {
        rows.push(claimed(&app, &format!("b{n}@example.com")).await.1);
    }
    // Two keys at 90 % and 80 % spent, two barely used.
    for (row, usd) in [(&rows[0], 1.8), (&rows[1], 1.6), (&rows[2], 0.2)] {
        let key = app
            .simulator()
            .keys()
            .into_iter()
            .find(|key| &key.data.name == row)
            .unwrap();
        assert!(app.simulator().add_usage(&key.data.hash, usd));
    }
    let organiser = app.demo_sign_in("organiser@example.com").await;
    let (status, _) = app
        .call(&organiser, "sync_usage_now", &[("slug", "ws")])
        .await;
    assert_eq!(status, 200);
    let (status, preview) = app
        .call(
            &organiser,
            "preview_top_up_low",
            &[("slug", "ws"), ("add_usd", "3")],
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["keys"], 2);
    assert_eq!(
        preview["rows"],
        serde_json::json!([rows[0], rows[1]]),
        "the rows, most spent first"
    );
    assert_eq!(preview["total"]["micros"], 6_000_000);
    // $8 of $12 committed: $4 left, room for one top-up of $3.
    assert_eq!(preview["fitting"], 1);
    let (status, report) = app
        .call(
            &organiser,
            "top_up_low",
            &[("slug", "ws"), ("add_usd", "3")],
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["topped_up"], 1);
    assert_eq!(report["left_at_cap"], 1, "it stops cleanly at the cap");
    let topped: Vec<_> = rows
        .iter()
        .filter(|row| sim_limit(&app, row) == Some(5.0))
        .collect();
    assert_eq!(topped.len(), 1);
    assert!(rows[..2].contains(topped[0]), "a key that was running out");
}

on_both_databases!(
    topping_up_every_key_above_80_percent,
    the_keys_running_out_are_topped_up_together
);

/// The page tops up the preview's rows a few per call (its progress): exactly the rows
/// named, never more than ten in one call, and a row of another workshop is not touched.
async fn the_page_tops_up_the_named_rows_in_small_calls(url: String) {
    let app = app_on(&url, "2", 100, "").await;
    let (_, ada) = claimed(&app, "ada@example.com").await;
    let (_, bob) = claimed(&app, "bob@example.com").await;
    let organiser = app.demo_sign_in("organiser@example.com").await;
    let (status, report) = app
        .call(
            &organiser,
            "top_up_low",
            &[("slug", "ws"), ("add_usd", "1"), ("rows[0]", &bob)],
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["topped_up"], 1);
    assert_eq!(sim_limit(&app, &bob), Some(3.0));
    assert_eq!(sim_limit(&app, &ada), Some(2.0), "only the row named");

    let names: Vec<String> = (0..11).map(|n| format!("rows[{n}]")).collect();
    let mut form = vec![("slug", "ws"), ("add_usd", "1")];
    form.extend(names.iter().map(|name| (name.as_str(), ada.as_str())));
    let (status, answer) = app.call(&organiser, "top_up_low", &form).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.to_string().contains("at most 10 keys"), "{answer}");
    assert_eq!(sim_limit(&app, &ada), Some(2.0));

    // A row id of another workshop's attendee: not found in this one, counted as failed.
    let stranger = app.demo_sign_in("stranger@example.com").await;
    let (status, _) = app.call(&stranger, "claim_key", &[("slug", "other")]).await;
    assert_eq!(status, 200);
    let other_row = app
        .database()
        .await
        .find_attendance_by_email("other", "stranger@example.com")
        .await
        .unwrap()
        .unwrap()
        .key_name;
    let (status, report) = app
        .call(
            &organiser,
            "top_up_low",
            &[("slug", "ws"), ("add_usd", "1"), ("rows[0]", &other_row)],
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["topped_up"].as_i64(), report["failed"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(sim_limit(&app, &other_row), Some(1.0));
}

on_both_databases!(
    bulk_top_ups_take_the_named_rows_ten_at_most,
    the_page_tops_up_the_named_rows_in_small_calls
);

async fn an_expired_key_is_not_topped_up(url: String) {
    let app = app_on(&url, "2", 12, "").await;
    let (_, row) = claimed(&app, "late@example.com").await;
    let organiser = app.demo_sign_in("organiser@example.com").await;
    // Forty days on (the demo clock): claims closed after 30, the key expired a day later.
    let moved = app
        .client
        .post(app.url("/_demo/clock"))
        .json(&serde_json::json!({ "offset_secs": 40 * 86_400 }))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let (status, answer) = top_up(&app, &organiser, &row, "1").await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.to_string().contains("This key has expired"),
        "{answer}"
    );
    assert_eq!(
        sim_limit(&app, &row),
        Some(2.0),
        "OpenRouter's limit untouched"
    );
    let stored = app
        .database()
        .await
        .find_attendance_by_email("ws", "late@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.limit_usd_micros, 2_000_000,
        "the stored limit untouched"
    );
}

on_both_databases!(
    an_expired_key_is_refused_a_top_up,
    an_expired_key_is_not_topped_up
);
