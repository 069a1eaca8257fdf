//! Crash recovery in seconds (issue 9, item 11), on SQLite and on Postgres: the server
//! process is killed with SIGKILL in the middle of a burst of claims and started again.
//! Nobody clicks again, yet within 20 s of the restart every attendee whose claim was in
//! flight has their key — the short mint leases of the dead process run out and the
//! sweep finishes the reservations — with no key duplicated and none left orphaned.

use std::time::{Duration, Instant};

use engine::db::ClaimStatus;
use openrouter_sim::Simulator;

use crate::support::server_process::{session_for, ServerSetup};
use crate::support::windows::Window;

const MANAGEMENT_KEY: &str = "sk-or-v1-crash-test";
const ROOM: usize = 60;

fn burst_workshop() -> String {
    format!(
        "title: Burst\ntimezone: UTC\n{}key_limit_usd: 1\nlimit_usd: 1000\n\
         allowed_models: [openai/gpt-5-nano]\nkey_pool: 0\n",
        Window::open_now().yaml()
    )
}

async fn a_server_killed_mid_burst_finishes_every_claim_after_restart(url: String) {
    let simulator = Simulator::new(MANAGEMENT_KEY)
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let sim = simulator.simulator();
    // Every OpenRouter round trip takes 300 ms, so a burst is still in flight when the
    // first keys exist.
    sim.set_latency(Duration::from_millis(300));
    let dir = tempfile::tempdir().unwrap();
    let setup = ServerSetup::new(
        dir.path(),
        &[("burst", burst_workshop())],
        &url,
        simulator.base_url(),
        MANAGEMENT_KEY,
    );
    let mut server = setup.start().await;
    let database = crate::support::test_database(&url).await;
    let mut cookies = Vec::new();
    for n in 0..ROOM {
        cookies.push(session_for(&database, &format!("a{n}@example.com")).await.1);
    }

    let client = reqwest::Client::new();
    let mut claims = Vec::new();
    for cookie in cookies {
        let request = client
            .post(format!("{}/api/claim_key", server.base_url))
            .header(reqwest::header::COOKIE, cookie)
            .form(&[("slug", "burst")])
            .send();
        claims.push(tokio::spawn(request));
    }
    // Mid-burst: some keys made, most claims still waiting on OpenRouter.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.keys().len() < 15 {
        assert!(Instant::now() < deadline, "the burst never got going");
        // A poll interval, not a synchronisation: the loop ends on the condition.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill_hard().await;
    for claim in claims {
        // Their connections died with the server.
        let _ = claim.await;
    }
    let rows = database.list_attendance("burst").await.unwrap();
    let in_flight = rows
        .iter()
        .filter(|row| row.status() == ClaimStatus::Reserved)
        .count();
    assert!(in_flight > 0, "the kill came mid-burst");

    let _server = setup.start().await;
    let restarted = Instant::now();
    // Nobody comes back: the server finishes the claims on its own.
    loop {
        let rows = database.list_attendance("burst").await.unwrap();
        let waiting = rows
            .iter()
            .filter(|row| row.status() == ClaimStatus::Reserved)
            .count();
        if waiting == 0 {
            break;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(20),
            "{waiting} of {} claims still without a key 20 s after the restart",
            rows.len()
        );
        // A poll interval, not a synchronisation: the loop ends on the condition.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{in_flight} claims in flight at the kill; all finished {:.1} s after the restart",
        restarted.elapsed().as_secs_f64()
    );

    // Exactly one active key per row, each stored; nothing on OpenRouter unaccounted for.
    let rows = database.list_attendance("burst").await.unwrap();
    let keys: Vec<_> = sim
        .keys()
        .into_iter()
        .filter(|key| key.data.name.starts_with("workshop-burst-") && !key.data.disabled)
        .collect();
    let mut names = std::collections::HashSet::new();
    for key in &keys {
        assert!(
            names.insert(key.data.name.clone()),
            "duplicate {}",
            key.data.name
        );
        assert!(
            rows.iter()
                .any(|row| row.key_hash() == Some(key.data.hash.as_str())),
            "orphan {}",
            key.data.name
        );
    }
    assert_eq!(keys.len(), rows.len(), "one key per claim");
}

on_both_databases!(
    a_server_killed_mid_burst_finishes_every_claim_after_restart,
    a_server_killed_mid_burst_finishes_every_claim_after_restart
);
