//! The OpenRouter client against the in-repo simulator: every call round-trips, every
//! request it sends and every answer it gets match the spec; transient failures are
//! retried only where repeating is safe; concurrency is bounded; errors name the call.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{body::Body, extract::Request, middleware::Next, response::Response};
use engine::openrouter::{
    ClientSettings, GuardrailSettings, KeyUpdate, NewKey, OpenRouterClient, OpenRouterError,
    RetryPolicy,
};
use engine::secret::Secret;
use openrouter_sim::{FaultAction, FaultRule, RunningSimulator, Simulator, API_PREFIX};
use serde_json::Value;

const MANAGEMENT_KEY: &str = "sk-or-v1-management-test-key-0123456789";

fn settings(base_url: &str) -> ClientSettings {
    let mut settings = ClientSettings::new(base_url, Secret::new(MANAGEMENT_KEY));
    settings.timeout = Duration::from_millis(500);
    settings.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    settings
}

fn new_key(name: &str) -> NewKey {
    NewKey {
        name: name.into(),
        limit: Some(2.0),
        limit_reset: None,
        expires_at: engine::openrouter::utc_timestamp(4_102_444_800),
    }
}

fn guardrail(name: &str, models: &[&str]) -> GuardrailSettings {
    GuardrailSettings {
        name: name.into(),
        description: Some("Workshop guardrail".into()),
        limit_usd: Some(5.0),
        reset_interval: Some("monthly".into()),
        allowed_models: models.iter().map(|model| model.to_string()).collect(),
    }
}

/// The simulator behind a layer that checks every request and response body against the
/// spec and counts calls in flight.
struct Checked {
    base_url: String,
    simulator: Simulator,
    violations: Arc<Mutex<Vec<String>>>,
    peak_in_flight: Arc<AtomicUsize>,
    _server: tokio::task::JoinHandle<()>,
}

async fn checked_simulator() -> Checked {
    let simulator = Simulator::new(MANAGEMENT_KEY);
    let violations = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak_in_flight = Arc::new(AtomicUsize::new(0));
    let spec = Arc::new(crate::support::openapi::SpecValidator::load());
    let layer = {
        let (violations, in_flight, peak) = (
            violations.clone(),
            in_flight.clone(),
            peak_in_flight.clone(),
        );
        axum::middleware::from_fn(move |request: Request, next: Next| {
            let (violations, in_flight, peak, spec) = (
                violations.clone(),
                in_flight.clone(),
                peak.clone(),
                spec.clone(),
            );
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                let response = check(&spec, &violations, request, next).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                response
            }
        })
    };
    let router = simulator.router().layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}{API_PREFIX}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Checked {
        base_url,
        simulator,
        violations,
        peak_in_flight,
        _server: server,
    }
}

async fn check(
    spec: &crate::support::openapi::SpecValidator,
    violations: &Mutex<Vec<String>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().as_str().to_string();
    let path = request
        .uri()
        .path()
        .trim_start_matches(API_PREFIX)
        .to_string();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    if !bytes.is_empty() {
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if let Err(violation) = spec.check_request(&method, &path, &value) {
            violations.lock().unwrap().push(violation);
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if let Err(violation) = spec.check_response(&method, &path, parts.status.as_u16(), &value) {
        violations.lock().unwrap().push(violation);
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn faulty_simulator() -> (RunningSimulator, OpenRouterClient) {
    let running = Simulator::new(MANAGEMENT_KEY)
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = OpenRouterClient::new(settings(running.base_url())).unwrap();
    (running, client)
}

#[tokio::test]
async fn every_call_round_trips_and_matches_the_spec() {
    let sim = checked_simulator().await;
    let client = OpenRouterClient::new(settings(&sim.base_url)).unwrap();

    let created_guardrail = client
        .create_guardrail(&guardrail("workshop-demo", &["openai/gpt-5-nano"]))
        .await
        .unwrap();
    assert_eq!(created_guardrail.name, "workshop-demo");
    let page = client.list_guardrails(0, 100).await.unwrap();
    assert!(page.guardrails.iter().any(|g| g.id == created_guardrail.id));
    assert_eq!(page.total_count as usize, page.guardrails.len());
    let fetched = client
        .get_guardrail(&created_guardrail.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fetched.limit_usd, Some(5.0));
    let updated = client
        .update_guardrail(
            &created_guardrail.id,
            &guardrail(
                "workshop-demo",
                &["openai/gpt-5-nano", "anthropic/claude-haiku-4.5"],
            ),
        )
        .await
        .unwrap();
    assert_eq!(updated.allowed_models.as_ref().map(Vec::len), Some(2));

    let created = client
        .create_key(&new_key("workshop-demo-a1"))
        .await
        .unwrap();
    assert!(created.plaintext.expose().starts_with("sk-or-v1-"));
    assert_eq!(created.key.limit, Some(2.0));
    assert_eq!(
        created
            .key
            .expires_at
            .as_deref()
            .map(|t| t.starts_with("2100-01-01")),
        Some(true)
    );
    let listed = client.list_keys(0, false).await.unwrap();
    assert!(listed.iter().any(|key| key.hash == created.key.hash));
    let got = client.get_key(&created.key.hash).await.unwrap().unwrap();
    assert_eq!(got.name, "workshop-demo-a1");

    let assigned = client
        .assign_keys(
            &created_guardrail.id,
            std::slice::from_ref(&created.key.hash),
        )
        .await
        .unwrap();
    assert_eq!(assigned, 1);
    let assignments = client
        .list_assignments(&created_guardrail.id, 0, 100)
        .await
        .unwrap();
    assert_eq!(assignments.len(), 1);
    assert_eq!(assignments[0].key_hash, created.key.hash);
    let removed = client
        .unassign_keys(
            &created_guardrail.id,
            std::slice::from_ref(&created.key.hash),
        )
        .await
        .unwrap();
    assert_eq!(removed, 1);

    let disabled = client
        .update_key(
            &created.key.hash,
            &KeyUpdate {
                disabled: Some(true),
                ..KeyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert!(disabled.disabled);
    assert!(
        client
            .list_keys(0, false)
            .await
            .unwrap()
            .iter()
            .all(|key| key.hash != created.key.hash),
        "disabled keys hidden"
    );
    assert!(client
        .list_keys(0, true)
        .await
        .unwrap()
        .iter()
        .any(|key| key.hash == created.key.hash));
    assert!(client.delete_key(&created.key.hash).await.unwrap());
    assert!(
        !client.delete_key(&created.key.hash).await.unwrap(),
        "already gone is not an error"
    );
    assert_eq!(client.get_key(&created.key.hash).await.unwrap(), None);
    assert_eq!(
        client
            .get_guardrail("00000000-0000-0000-0000-000000000000")
            .await
            .unwrap(),
        None
    );

    let violations = sim.violations.lock().unwrap().clone();
    assert!(violations.is_empty(), "spec violations: {violations:#?}");
    assert!(sim.simulator.call_count("POST /keys") == 1);
}

#[tokio::test]
async fn errors_carry_status_path_and_openrouters_message_but_never_the_key() {
    let (running, client) = faulty_simulator().await;
    let error = client
        .update_key(
            "deadbeef",
            &KeyUpdate {
                disabled: Some(true),
                ..KeyUpdate::default()
            },
        )
        .await
        .unwrap_err();
    let OpenRouterError::Api {
        status,
        method,
        path,
        message,
        ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(
        (*status, *method, path.as_str()),
        (404, "PATCH", "/keys/deadbeef")
    );
    assert!(!message.is_empty());
    let text = format!("{error} {error:?}");
    assert!(!text.contains(MANAGEMENT_KEY));

    let wrong_key = OpenRouterClient::new(ClientSettings::new(
        running.base_url(),
        Secret::new("sk-or-v1-wrong"),
    ))
    .unwrap();
    let refused = wrong_key.list_keys(0, false).await.unwrap_err();
    assert_eq!(refused.status(), Some(401));
    assert!(!format!("{refused:?}").contains("sk-or-v1-wrong"));
    assert!(
        !format!("{:?}", settings("http://x")).contains(MANAGEMENT_KEY),
        "settings Debug hides the key"
    );
}

#[tokio::test]
async fn rate_limits_are_retried_after_the_time_openrouter_asks_for() {
    let (running, client) = faulty_simulator().await;
    let sim = running.simulator();
    sim.inject(FaultRule::next(
        "GET /keys",
        1,
        FaultAction::RateLimited {
            retry_after_secs: 1,
        },
    ))
    .unwrap();
    let started = std::time::Instant::now();
    client.list_keys(0, false).await.unwrap();
    assert_eq!(sim.call_count("GET /keys"), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_long_retry_after_is_not_waited_for_and_holds_every_call_back() {
    let (running, client) = faulty_simulator().await;
    let sim = running.simulator();
    sim.inject(FaultRule::next(
        "GET /keys",
        1,
        FaultAction::RateLimited {
            retry_after_secs: 30,
        },
    ))
    .unwrap();
    let started = std::time::Instant::now();
    let error = client.list_keys(0, false).await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // For the next 30 s nothing goes out, whatever the call, and a person's call neither.
    for _ in 0..5 {
        let held = client.get_key("abc").await.unwrap_err();
        assert!(
            matches!(held, OpenRouterError::Unavailable { .. }),
            "{held}"
        );
        assert!(held.retry_in_secs() > 25, "{held}");
    }
    let probe = engine::openrouter::asked_by_a_person(client.list_keys(0, false)).await;
    assert!(matches!(probe, Err(OpenRouterError::Unavailable { .. })));
    assert_eq!(sim.call_count("GET /keys"), 1);
    assert_eq!(sim.call_count("GET /keys/{hash}"), 0);
    assert!(client.unavailable_for().is_some());
}

#[tokio::test]
async fn server_errors_and_timeouts_on_safe_calls_are_retried() {
    let (running, client) = faulty_simulator().await;
    let sim = running.simulator();
    let key = client.create_key(&new_key("k1")).await.unwrap().key;
    sim.inject(FaultRule::next(
        "PATCH /keys/{hash}",
        2,
        FaultAction::ServerError { status: 502 },
    ))
    .unwrap();
    let patched = client
        .update_key(
            &key.hash,
            &KeyUpdate {
                limit: Some(3.0),
                ..KeyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.limit, Some(3.0));
    assert_eq!(sim.call_count("PATCH /keys/{hash}"), 3);

    sim.inject(FaultRule::next("GET /keys/{hash}", 1, FaultAction::Hang))
        .unwrap();
    assert!(client.get_key(&key.hash).await.unwrap().is_some());
    assert_eq!(sim.call_count("GET /keys/{hash}"), 2);

    // Attempts are bounded: a call that keeps failing gives up with the last error.
    sim.inject(FaultRule::every(
        "GET /keys",
        FaultAction::ServerError { status: 503 },
    ))
    .unwrap();
    let error = client.list_keys(0, false).await.unwrap_err();
    assert_eq!(error.status(), Some(503));
    assert_eq!(sim.call_count("GET /keys"), 3);
}

#[tokio::test]
async fn creating_a_key_is_never_repeated_blindly() {
    let (running, _) = faulty_simulator().await;
    let sim = running.simulator();
    for action in [
        FaultAction::ServerError { status: 500 },
        FaultAction::RateLimited {
            retry_after_secs: 1,
        },
        FaultAction::Hang,
        FaultAction::ResponseLost,
    ] {
        // A fresh client each time: one that just failed or was rate-limited holds
        // back its next call (breaker, Retry-After), which is not what is tested here.
        let client = OpenRouterClient::new(settings(running.base_url())).unwrap();
        let before = sim.call_count("POST /keys");
        sim.inject(FaultRule::next("POST /keys", 1, action))
            .unwrap();
        let error = client.create_key(&new_key("once")).await.unwrap_err();
        assert_eq!(
            sim.call_count("POST /keys"),
            before + 1,
            "{action:?} → one attempt only"
        );
        let unknown = !matches!(action, FaultAction::RateLimited { .. });
        assert_eq!(error.outcome_unknown(), unknown, "{action:?}: {error}");
    }
    // The lost response really minted a key: the caller must reconcile by name.
    assert_eq!(sim.keys().len(), 1);
}

#[tokio::test]
async fn concurrent_calls_are_bounded() {
    let sim = checked_simulator().await;
    sim.simulator.set_latency(Duration::from_millis(100));
    let mut settings = settings(&sim.base_url);
    settings.max_concurrent_calls = 3;
    settings.timeout = Duration::from_secs(10);
    let client = OpenRouterClient::new(settings).unwrap();
    let calls = (0..12).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.list_keys(0, false).await })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().unwrap();
    }
    assert_eq!(sim.peak_in_flight.load(Ordering::SeqCst), 3);
}
