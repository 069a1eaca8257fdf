//! What the people who run the service rely on (issue 20), on SQLite and on Postgres:
//! the probes, the drain on SIGTERM, Prometheus metrics, the logs, and migrations run as
//! a step of their own. The drain and the logs are shown on the real binary in a
//! process of its own; the rest in process.

use std::time::{Duration, Instant};

use engine::db::ClaimState;
use openrouter_sim::{OutageKind, RunningSimulator};

use crate::support::server_process::{session_for, ServerProcess, ServerSetup};
use crate::support::windows::Window;
use crate::support::{test_database, workshop_file, TestApp, TestAppBuilder};

/// Open now with room for everyone, each claim minting its key.
fn roomy() -> String {
    format!(
        "title: Open now\ntimezone: UTC\n{}key_limit_usd: 1\nlimit_usd: 1000\n\
         allowed_models: [openai/gpt-5-nano]\nkey_pool: 0\nadmins: [organiser@example.com]\n",
        Window::open_now().yaml()
    )
}

async fn status_of(app: &TestApp, path: &str) -> u16 {
    app.client
        .get(app.url(path))
        .send()
        .await
        .map(|response| response.status().as_u16())
        .unwrap_or(0)
}

/// Polls `check` every 50 ms until it holds; fails after `within`.
async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await; // poll interval
    }
}

async fn probes_answer_and_readiness_turns_503_first(url: String) {
    let mut app = TestAppBuilder::new()
        .workshop("open-now", &roomy())
        .database(&url)
        .drain(server::drain::DrainSettings {
            grace: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
        })
        .spawn()
        .await;
    for path in ["/livez", "/readyz", "/healthz"] {
        assert_eq!(status_of(&app, path).await, 200, "{path}");
    }
    app.stop();
    // Readiness says so at once; the process still answers, and serves, meanwhile.
    eventually("readiness 503", Duration::from_secs(1), || async {
        status_of(&app, "/readyz").await == 503
    })
    .await;
    assert_eq!(status_of(&app, "/healthz").await, 503);
    assert_eq!(status_of(&app, "/livez").await, 200);
    assert_eq!(status_of(&app, "/w/open-now").await, 200);
    // After the grace period the listener closes.
    eventually("the listener closed", Duration::from_secs(6), || async {
        status_of(&app, "/livez").await == 0
    })
    .await;
}

on_both_databases!(
    probes_answer_and_readiness_turns_503_at_sigterm,
    probes_answer_and_readiness_turns_503_first
);

/// `server migrate` as a deploy step of its own: an instance started with
/// `MIGRATE_ON_START=false` refuses an unmigrated database with what to do, and starts
/// ready once the step has run.
async fn migrations_as_a_step_of_their_own(url: String) {
    let dir = tempfile::tempdir().unwrap();
    let server = || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &url);
        command
    };
    let mut setup = ServerSetup::new(
        dir.path(),
        &[("open-now", roomy())],
        &url,
        "http://127.0.0.1:9/api/v1",
        "sk-or-v1-x",
    );
    setup.extra_env = vec![("MIGRATE_ON_START".into(), "false".into())];
    let refused = setup.start_expecting_refusal().await;
    assert!(
        refused.contains("MIGRATE_ON_START=false: run `server migrate` first"),
        "{refused}"
    );

    let migrated = server().arg("migrate").output().unwrap();
    let said = String::from_utf8_lossy(&migrated.stdout);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert!(said.contains("migration(s) applied"), "{said}");
    let again = server().arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains(": 0 migration(s) applied"));

    let running = setup.start().await;
    let ready = reqwest::get(format!("{}/readyz", running.base_url))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}

on_both_databases!(
    server_migrate_then_start_without_migrating,
    migrations_as_a_step_of_their_own
);

/// `name{labels…} value` lines of a scrape whose series is `name` and whose labels
/// include every one of `labels`, summed.
fn sample(scrape: &str, name: &str, labels: &[&str]) -> f64 {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .filter(|line| labels.iter().all(|label| line.contains(label)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn the_counters_move_with_claims_and_outages(url: String) {
    let app = TestAppBuilder::new()
        .workshop("open-now", &roomy())
        .workshop(
            "pooled",
            &workshop_file("Pooled", Window::open_now(), "key_pool: 2\n"),
        )
        .database(&url)
        .metrics_addr("127.0.0.1:0".parse().unwrap())
        .openrouter_timeout(Duration::from_millis(500))
        .spawn()
        .await;
    // Never on the public port.
    assert_eq!(status_of(&app, "/metrics").await, 404);

    let ada = app.demo_sign_in("ada@example.com").await;
    let (status, _) = app.call(&ada, "claim_key", &[("slug", "open-now")]).await;
    assert_eq!(status, 200);
    let after_claim = app.scrape().await;
    let minted = [r#"workshop="open-now""#, r#"outcome="minted""#];
    assert_eq!(sample(&after_claim, "wkm_claims_total", &minted), 1.0);
    assert!(
        sample(
            &after_claim,
            "wkm_claim_duration_seconds_count",
            &[r#"workshop="open-now""#]
        ) >= 1.0
    );
    assert!(
        sample(
            &after_claim,
            "wkm_http_requests_total",
            &[r#"route="/api/claim_key""#, r#"status="200""#]
        ) >= 1.0,
        "{after_claim}"
    );
    assert!(
        sample(
            &after_claim,
            "wkm_openrouter_requests_total",
            &[r#"route="POST /keys""#, r#"status="2xx""#]
        ) >= 1.0
    );
    assert!(
        sample(
            &after_claim,
            "wkm_openrouter_request_duration_seconds_count",
            &[r#"route="POST /keys""#]
        ) >= 1.0
    );
    assert_eq!(
        sample(&after_claim, "wkm_openrouter_breaker_open", &[]),
        0.0
    );
    eventually(
        "the pool reports ready keys",
        Duration::from_secs(20),
        || async {
            sample(
                &app.scrape().await,
                "wkm_key_pool_ready",
                &[r#"workshop="pooled""#],
            ) == 2.0
        },
    )
    .await;
    let scrape = app.scrape().await;
    assert_eq!(
        sample(&scrape, "wkm_key_pool_target", &[r#"workshop="pooled""#]),
        2.0
    );
    assert_eq!(
        sample(&scrape, "wkm_unbound_keys", &[r#"workshop="open-now""#]),
        0.0
    );
    assert!(scrape.contains("wkm_background_lease_held{"), "{scrape}");
    // Labels never carry a person, a key or a path with a slug of its own.
    for private in ["ada@example.com", "sk-or-v1-", "/w/open-now\""] {
        assert!(!scrape.contains(private), "{private} in the metrics");
    }

    // OpenRouter down: claims keep places, calls fail, the breaker opens.
    app.simulator()
        .outage(OutageKind::Unavailable, Duration::from_secs(600));
    for n in 0..4 {
        let attendee = app.demo_sign_in(&format!("down{n}@example.com")).await;
        let (status, _) = app
            .call(&attendee, "claim_key", &[("slug", "open-now")])
            .await;
        assert_eq!(status, 503);
    }
    let during = app.scrape().await;
    let kept = [r#"workshop="open-now""#, r#"outcome="kept""#];
    assert_eq!(sample(&during, "wkm_claims_total", &kept), 4.0, "{during}");
    assert!(
        sample(
            &during,
            "wkm_openrouter_requests_total",
            &[r#"route="POST /keys""#, r#"status="503""#]
        ) >= 1.0
    );
    assert_eq!(sample(&during, "wkm_openrouter_breaker_open", &[]), 1.0);
    assert!(
        sample(
            &during,
            "wkm_http_requests_total",
            &[r#"route="/api/claim_key""#, r#"status="503""#]
        ) >= 4.0
    );
}

on_both_databases!(
    metrics_count_claims_calls_and_requests,
    the_counters_move_with_claims_and_outages
);

/// The real binary, drained by SIGTERM with 20 claims in flight at a 2 s OpenRouter:
/// every claim ends with its key, the process exits 0 within the timeout, and the
/// leases it held are handed back, so a second instance takes the pool and the sweep
/// over at once instead of after they run out.
async fn sigterm_finishes_the_claims_in_flight(url: String) {
    let simulator = openrouter_sim::Simulator::new("sk-or-v1-drain-test")
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pooled = workshop_file("Pooled", Window::open_now(), "key_pool: 2\n");
    let mut setup = ServerSetup::new(
        dir.path(),
        &[("open-now", roomy()), ("pooled", pooled)],
        &url,
        simulator.base_url(),
        "sk-or-v1-drain-test",
    );
    setup.extra_env = vec![
        ("SHUTDOWN_GRACE_SECS".into(), "1".into()),
        ("SHUTDOWN_TIMEOUT_SECS".into(), "25".into()),
    ];
    let database = crate::support::test_database(&url).await;
    let mut first = setup.start().await;
    let second = setup.start().await;
    eventually("the pool filled", Duration::from_secs(30), || async {
        simulator
            .simulator()
            .keys()
            .iter()
            .filter(|key| key.data.name.starts_with("workshop-pooled-pool-"))
            .count()
            == 2
    })
    .await;

    simulator.simulator().set_latency(Duration::from_secs(2));
    let client = reqwest::Client::new();
    let mut claims = Vec::new();
    for n in 0..20 {
        let (_, cookie) = session_for(&database, &format!("room{n}@example.com")).await;
        let request = client
            .post(format!("{}/api/claim_key", first.base_url))
            .header("cookie", cookie)
            .form(&[("slug", "open-now")]);
        claims.push(tokio::spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }));
    }
    // Every claim is under way (its row reserved and leased) before the signal.
    eventually("20 claims in flight", Duration::from_secs(20), || async {
        database
            .list_attendance("open-now")
            .await
            .unwrap()
            .iter()
            .filter(|row| !matches!(row.state, ClaimState::Reserved { lease_until: None }))
            .count()
            == 20
    })
    .await;
    let (first_pid, second_pid) = (first.pid(), second.pid());
    let signalled = Instant::now();
    first.terminate();
    let status = first.wait_for_exit(Duration::from_secs(40)).await;
    let took = signalled.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(took < Duration::from_secs(1 + 25), "stopped after {took:?}");
    for claim in claims {
        let (status, body) = claim.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("sk-or-v1-"), "{body}");
    }
    let rows = database.list_attendance("open-now").await.unwrap();
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|row| row.or_key_plaintext.is_some()));

    // Nothing is still held in the first instance's name (`host:pid:random`)...
    let exited = Instant::now();
    sqlx::any::install_default_drivers();
    let leases = sqlx::AnyPool::connect(&url).await.unwrap();
    let held_by = |pid: u32| {
        let leases = leases.clone();
        async move {
            let now = chrono::Utc::now().timestamp();
            let rows: Vec<(String, String, i64)> =
                sqlx::query_as("SELECT name, holder, held_until FROM background_leases")
                    .fetch_all(&leases)
                    .await
                    .unwrap();
            rows.into_iter()
                .filter(|(_, holder, _)| holder.contains(&format!(":{pid}:")))
                .map(|(name, _, until)| (name, until > now))
                .collect::<Vec<_>>()
        }
    };
    let still_held: Vec<_> = held_by(first_pid)
        .await
        .into_iter()
        .filter(|(_, held)| *held)
        .collect();
    assert!(still_held.is_empty(), "left held: {still_held:?}");
    // ...and the second instance tends the pool within 2 s.
    simulator.simulator().set_latency(Duration::ZERO);
    eventually(
        "the second instance tends the pool",
        Duration::from_secs(2),
        || async {
            held_by(second_pid)
                .await
                .iter()
                .any(|(name, _)| name == "key-pool:pooled")
        },
    )
    .await;
    assert!(exited.elapsed() <= Duration::from_millis(2_500));
    drop(second);
}

on_both_databases!(
    sigterm_drains_claims_in_flight_and_hands_back_leases,
    sigterm_finishes_the_claims_in_flight
);

/// A draining instance's `/readyz` answers 503 to every probe on purpose: that is a
/// warning in the logs, never an ERROR line (which alerting would page someone for).
/// The server as its own process with `LOG_FORMAT=json` and its lines captured, over a
/// simulator of its own, with `env` added. The simulator and the folder live as long as
/// the returned parts.
async fn json_logging_server(
    url: &str,
    management_key: &str,
    env: &[(&str, &str)],
) -> (RunningSimulator, tempfile::TempDir, ServerProcess) {
    let simulator = openrouter_sim::Simulator::new(management_key)
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut setup = ServerSetup::new(
        dir.path(),
        &[("open-now", roomy())],
        url,
        simulator.base_url(),
        management_key,
    );
    setup.capture_logs = true;
    setup.extra_env = std::iter::once(("LOG_FORMAT", "json"))
        .chain(env.iter().copied())
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let server = setup.start().await;
    // In this order, so the server (declared last) is dropped first.
    (simulator, dir, server)
}

async fn draining_probes_log_no_errors(url: String) {
    let (_simulator, _dir, mut server) = json_logging_server(
        &url,
        "sk-or-v1-drain-logs",
        &[
            // The default filter (the tests' own is quieter): request spans are kept.
            ("RUST_LOG", server::telemetry::DEFAULT_FILTER),
            ("SHUTDOWN_GRACE_SECS", "2"),
        ],
    )
    .await;
    let readyz = format!("{}/readyz", server.base_url);
    assert_eq!(reqwest::get(&readyz).await.unwrap().status(), 200);
    server.terminate();
    let mut refused = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while refused < 3 {
        assert!(Instant::now() < deadline, "readiness never turned 503");
        if let Ok(answer) = reqwest::get(&readyz).await {
            if answer.status() == 503 {
                refused += 1;
                continue;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await; // poll interval
    }
    server.wait_for_exit(Duration::from_secs(20)).await;
    let logs = server.logs.as_mut().expect("logs are captured");
    let mut lines = Vec::new();
    while let Some(line) = logs.recv().await {
        lines.push(line);
    }
    let errors: Vec<_> = lines
        .iter()
        .filter(|line| line.contains("\"level\":\"ERROR\""))
        .collect();
    assert!(errors.is_empty(), "ERROR lines while draining: {errors:#?}");
    let warned = lines
        .iter()
        .filter(|line| line.contains("service unavailable") && line.contains("/readyz"))
        .count();
    assert!(warned >= 3, "each refused probe is a warning: {lines:#?}");
}

on_both_databases!(
    a_draining_instances_refused_probes_are_warnings_not_errors,
    draining_probes_log_no_errors
);

/// `LOG_FORMAT=json`: every line is one JSON object, and a request's lines carry its id
/// (the caller's `x-request-id` when well formed) and, once known, the workshop.
async fn json_logs_name_the_request_and_the_workshop(url: String) {
    let (_simulator, _dir, mut server) = json_logging_server(
        &url,
        "sk-or-v1-logs-test",
        &[(
            "RUST_LOG",
            "debug,sqlx=warn,hyper=warn,reqwest=warn,h2=warn",
        )],
    )
    .await;
    let database = crate::support::test_database(&url).await;
    let (_, cookie) = session_for(&database, "ada@example.com").await;
    let client = reqwest::Client::new();
    let claim = client
        .post(format!("{}/api/claim_key", server.base_url))
        .header("cookie", &cookie)
        .header("x-request-id", "req-7f3a-logs")
        .form(&[("slug", "open-now")])
        .send()
        .await
        .unwrap();
    assert_eq!(claim.status(), 200);
    assert_eq!(
        claim.headers()["x-request-id"],
        "req-7f3a-logs",
        "taken over"
    );
    let untidy = client
        .get(format!("{}/livez", server.base_url))
        .header("x-request-id", "two words")
        .send()
        .await
        .unwrap();
    let replaced = untidy.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(replaced.len() == 12 && replaced.bytes().all(|b| b.is_ascii_hexdigit()));

    let logs = server.logs.as_mut().expect("logs are captured");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = 0;
    let mut of_the_claim = Vec::new();
    loop {
        let Ok(line) = tokio::time::timeout_at(deadline.into(), logs.recv()).await else {
            panic!("no line of the claim with its id and workshop within 20 s ({seen} lines): {of_the_claim:#?}");
        };
        let line = line.expect("the server is still logging");
        if line.contains("req-7f3a-logs") {
            of_the_claim.push(line.clone());
        }
        seen += 1;
        let event: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
        assert!(
            event["level"].is_string() && event["timestamp"].is_string(),
            "{line}"
        );
        assert!(
            !line.contains("ada@example.com") && !line.contains("wkm_session"),
            "{line}"
        );
        // The request's span is the outermost of the line's spans.
        let request = &event["spans"][0];
        if request["id"] == "req-7f3a-logs" && request["slug"] == "open-now" {
            assert_eq!(request["method"], "POST");
            assert_eq!(request["path"], "/api/claim_key");
            break;
        }
    }
    assert!(seen > 1);
}

on_both_databases!(
    json_logs_carry_the_request_id_and_the_workshop,
    json_logs_name_the_request_and_the_workshop
);

/// One instance of a rolling deploy: live mode on the shared database `url` and the
/// shared OpenRouter (whose management key is the workshop's name), carrying `file` as
/// workshop `slug`.
async fn live_instance(
    url: &str,
    openrouter: &openrouter_sim::RunningSimulator,
    slug: &str,
    file: String,
) -> TestApp {
    let mut settings = crate::support::live_settings();
    settings.openrouter_base_url = openrouter.base_url().to_string();
    settings.openrouter_management_key = engine::secret::Secret::new(format!("sk-or-v1-{slug}"));
    TestAppBuilder::new()
        .workshop(slug, &file)
        .database(url)
        .live(settings)
        .spawn()
        .await
}

/// A rolling deploy that changes a workshop file (issue 20, item 5), on Postgres: the old
/// instance (keys of $2) and the new one ($3) run side by side for 30 s on one database
/// and one OpenRouter. The pool converges to $3 keys, no more keys are deleted than the
/// pool holds (no ping-pong between the versions), and every claim made on either
/// instance meanwhile gets one key of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_deploy_converges_on_the_newest_file_without_ping_pong() {
    let fresh = crate::support::databases::FreshDatabase::postgres().await;
    let url = fresh.url().to_string();
    let openrouter = openrouter_sim::Simulator::new("sk-or-v1-rolling")
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let window = Window::open_now();
    let file = |limit: u32| {
        format!(
            "title: Rolling\ntimezone: UTC\n{}key_limit_usd: {limit}\nlimit_usd: 1000\n\
             allowed_models: [openai/gpt-5-nano]\nkey_pool: 4\n",
            window.yaml()
        )
    };
    let instance = |limit: u32| live_instance(&url, &openrouter, "rolling", file(limit));
    let pool_keys = || {
        openrouter
            .simulator()
            .keys()
            .into_iter()
            .filter(|key| key.data.name.starts_with("workshop-rolling-pool-") && !key.data.disabled)
            .collect::<Vec<_>>()
    };
    let old = instance(2).await;
    eventually("the old pool filled", Duration::from_secs(20), || async {
        pool_keys()
            .iter()
            .filter(|key| key.guardrail_id.is_some())
            .count()
            == 4
    })
    .await;

    let new = instance(3).await;
    let database = test_database(&url).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut claimed = Vec::new();
    let mut n = 0;
    while started.elapsed() < Duration::from_secs(30) {
        // One claim a second, alternating between the instances.
        let base = if n % 2 == 0 {
            &old.base_url
        } else {
            &new.base_url
        };
        let (_, cookie) = session_for(&database, &format!("rolling{n}@example.com")).await;
        let response = client
            .post(format!("{base}/api/claim_key"))
            .header("cookie", cookie)
            .form(&[("slug", "rolling")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let answer: serde_json::Value = response.json().await.unwrap();
        claimed.push(answer["key"].as_str().unwrap().to_string());
        n += 1;
        tokio::time::sleep(Duration::from_secs(1)).await; // the pace of a room arriving
    }

    let rows = database.list_attendance("rolling").await.unwrap();
    let handed_out: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|row| row.key_hash().map(str::to_string))
        .collect();
    let ready: Vec<_> = pool_keys()
        .into_iter()
        .filter(|key| key.guardrail_id.is_some() && !handed_out.contains(&key.data.hash))
        .collect();
    assert!(!ready.is_empty(), "the pool holds keys");
    for key in &ready {
        assert_eq!(
            key.data.limit,
            Some(3.0),
            "{}: the newest file's limit",
            key.data.name
        );
    }
    let deleted = openrouter.simulator().call_count("DELETE /keys/{hash}");
    assert!(
        deleted <= 4,
        "{deleted} keys deleted for a pool of 4: ping-pong"
    );
    let distinct: std::collections::HashSet<_> = claimed.iter().collect();
    assert_eq!(distinct.len(), claimed.len(), "a key handed out twice");
    assert_eq!(rows.len(), claimed.len());
    drop((old, new));
}

/// During a rolling deploy, "Re-apply the file's settings" on an instance that still
/// runs the old file is refused (it would undo the new file's guardrail); the instance
/// with the new file re-applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_instance_refuses_to_reapply_the_guardrail_mid_deploy() {
    let fresh = crate::support::databases::FreshDatabase::postgres().await;
    let url = fresh.url().to_string();
    let openrouter = openrouter_sim::Simulator::new("sk-or-v1-reapply")
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let window = Window::open_now();
    let instance = |limit: u32| {
        let file = format!(
            "title: Reapply\ntimezone: UTC\n{}key_limit_usd: 1\nlimit_usd: {limit}\n\
             allowed_models: [openai/gpt-5-nano]\nkey_pool: 0\nadmins: [organiser@example.com]\n",
            window.yaml()
        );
        live_instance(&url, &openrouter, "reapply", file)
    };
    let old = instance(100).await;
    let new = instance(200).await;
    let database = test_database(&url).await;
    let (_, cookie) = session_for(&database, "organiser@example.com").await;
    let client = reqwest::Client::new();
    let reapply = |base: String| {
        let (client, cookie) = (client.clone(), cookie.clone());
        async move {
            let response = client
                .post(format!("{base}/api/reapply_guardrail"))
                .header("cookie", cookie)
                .form(&[("slug", "reapply")])
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, answer) = reapply(old.base_url.clone()).await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer.contains("newer version of this workshop's file"),
        "{answer}"
    );
    assert!(
        openrouter
            .simulator()
            .guardrails()
            .iter()
            .all(|guardrail| guardrail.limit_usd != Some(100.0)),
        "the old file's cap never reached OpenRouter"
    );
    let (status, answer) = reapply(new.base_url.clone()).await;
    assert_eq!(status, 200, "{answer}");
    let guardrails: Vec<_> = openrouter
        .simulator()
        .guardrails()
        .into_iter()
        .filter(|guardrail| guardrail.name == "workshop-reapply")
        .collect();
    assert_eq!(guardrails.len(), 1, "{guardrails:?}");
    assert_eq!(guardrails[0].limit_usd, Some(200.0), "the new file's cap");
    drop((old, new));
}
