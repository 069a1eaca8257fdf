//! Live mode as a fresh fork deploys it: the organisation's folder holds no workshop
//! yet, so the site serves none and the server makes no OpenRouter call at all — no
//! guardrail, no warm pool, no usage sync — until someone adds a file.

use std::time::{Duration, Instant};

use engine::secret::Secret;

use crate::support::{live_settings, TestAppBuilder};

const KEY: &str = "sk-or-v1-live-mode-test";

#[tokio::test]
async fn a_live_server_without_workshop_files_serves_none_and_never_calls_openrouter() {
    let openrouter = openrouter_sim::Simulator::new(KEY)
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut settings = live_settings();
    settings.openrouter_base_url = openrouter.base_url().to_string();
    settings.openrouter_management_key = Secret::new(KEY);
    let app = TestAppBuilder::new().live(settings).spawn().await;

    let home = app.get("/").await;
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("No workshops yet."));
    assert_eq!(app.get("/w/demo-agents-on-duckdb").await.status(), 404);

    // The background loops have run: the sweep finished a pass (every loop starts at
    // once; the pool's and the guardrails' found nothing to do).
    let database = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let done: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT last_done_at FROM background_leases WHERE name = 'mint-sweep'")
                .fetch_optional(&database)
                .await
                .unwrap();
        if matches!(done, Some((Some(_),))) {
            break;
        }
        assert!(Instant::now() < deadline, "the sweep never finished a pass");
        tokio::time::sleep(Duration::from_millis(50)).await; // poll interval
    }
    let calls = openrouter.simulator().call_counts();
    assert!(
        calls.values().all(|count| *count == 0),
        "OpenRouter was called: {calls:?}"
    );
}
