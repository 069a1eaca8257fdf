//! Step 3 of the claim, on SQLite and on Postgres, against the simulator: the workshop
//! guardrail is created once, reused without calls, updated with one PATCH when the file
//! changes, adopted when an earlier run created it but never stored its id, and never
//! duplicated when two instances (two connection pools on one database) race.

use std::path::Path;
use std::time::Duration;

use crate::support::windows::Window;
use engine::guardrail::ensure_guardrail;
use engine::leases::Leases;
use engine::openrouter::{ClientSettings, OpenRouterClient};
use engine::registry::{parse_workshop_file, Workshop};
use engine::secret::Secret;
use openrouter_sim::{RunningSimulator, Simulator};

const MANAGEMENT_KEY: &str = "sk-or-v1-guardrail-test";

fn workshop(models: &str) -> Workshop {
    let source = format!(
        "title: Agents\ntimezone: UTC\n{}key_limit_usd: 2\nlimit_usd: 10\n\
         allowed_models: [{models}]\n",
        Window::open_now().yaml()
    );
    parse_workshop_file(Path::new("agents.yaml"), &source).expect("a valid workshop")
}

async fn simulator() -> (RunningSimulator, OpenRouterClient) {
    let running = Simulator::new(MANAGEMENT_KEY)
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = OpenRouterClient::new(ClientSettings::new(
        running.base_url(),
        Secret::new(MANAGEMENT_KEY),
    ))
    .unwrap();
    (running, client)
}

fn workshop_guardrails(sim: &Simulator) -> Vec<openrouter_sim::wire::Guardrail> {
    sim.guardrails()
        .into_iter()
        .filter(|guardrail| guardrail.name == "workshop-agents")
        .collect()
}

async fn created_once_then_reused_then_updated(url: String) {
    let database = crate::support::test_database(&url).await;
    let leases = Leases::new(database.clone(), "instance-a");
    let (running, client) = simulator().await;
    let sim = running.simulator();
    let file = workshop("openai/gpt-5-nano");

    let id = ensure_guardrail(&database, &client, &file, &leases, 1)
        .await
        .unwrap();
    let again = ensure_guardrail(&database, &client, &file, &leases, 2)
        .await
        .unwrap();
    assert_eq!(id, again);
    assert_eq!(sim.call_count("POST /guardrails"), 1);
    // OpenRouter answers with canonical slugs; that is not a change of the file.
    assert_eq!(sim.call_count("PATCH /guardrails/{id}"), 0);
    let [created] = workshop_guardrails(sim).try_into().unwrap();
    assert_eq!(
        created.allowed_models,
        Some(vec!["openai/gpt-5-nano-2025-08-07".to_string()])
    );
    assert_eq!(created.limit_usd, Some(10.0));

    let changed = workshop("openai/gpt-5-nano, openai/gpt-5-mini");
    assert_eq!(
        ensure_guardrail(&database, &client, &changed, &leases, 3)
            .await
            .unwrap(),
        id
    );
    assert_eq!(sim.call_count("PATCH /guardrails/{id}"), 1);
    let [updated] = workshop_guardrails(sim).try_into().unwrap();
    assert_eq!(updated.allowed_models.map(|models| models.len()), Some(2));
    ensure_guardrail(&database, &client, &changed, &leases, 4)
        .await
        .unwrap();
    assert_eq!(
        sim.call_count("PATCH /guardrails/{id}"),
        1,
        "no call once in step"
    );
    database.close().await;
}

async fn two_instances_racing_make_one_guardrail(url: String) {
    let instances = [
        crate::support::test_database(&url).await,
        crate::support::test_database(&url).await,
    ];
    let (running, client) = simulator().await;
    // Each OpenRouter round trip takes a while, so the racers really overlap.
    running.simulator().set_latency(Duration::from_millis(50));
    let file = workshop("openai/gpt-5-nano");
    let racers: Vec<_> = (0..10)
        .map(|n| {
            let (database, client, file) = (instances[n % 2].clone(), client.clone(), file.clone());
            // Two instances (connection pools), each with its own holder name.
            let leases = Leases::new(database.clone(), &format!("instance-{}", n % 2));
            tokio::spawn(async move {
                ensure_guardrail(&database, &client, &file, &leases, 1)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut ids = Vec::new();
    for racer in racers {
        ids.push(racer.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every racer got the same guardrail");
    assert_eq!(workshop_guardrails(running.simulator()).len(), 1);
    assert_eq!(running.simulator().call_count("POST /guardrails"), 1);
    for database in instances {
        database.close().await;
    }
}

async fn a_guardrail_whose_id_was_never_stored_is_adopted(url: String) {
    let database = crate::support::test_database(&url).await;
    let leases = Leases::new(database.clone(), "instance-a");
    let (running, client) = simulator().await;
    let file = workshop("openai/gpt-5-nano");
    // An earlier run created it, then died before remembering the id.
    let mut stale = engine::guardrail::settings_for(&file);
    stale.allowed_models = vec!["openai/gpt-4o-mini".into()];
    let orphan = client.create_guardrail(&stale).await.unwrap();

    let id = ensure_guardrail(&database, &client, &file, &leases, 1)
        .await
        .unwrap();
    assert_eq!(id, orphan.id);
    let sim = running.simulator();
    assert_eq!(
        sim.call_count("POST /guardrails"),
        1,
        "only the orphan's own creation"
    );
    let [adopted] = workshop_guardrails(sim).try_into().unwrap();
    assert_eq!(
        adopted.allowed_models,
        Some(vec!["openai/gpt-5-nano-2025-08-07".to_string()])
    );
    database.close().await;
}

on_both_databases!(
    created_once_then_reused_then_updated,
    created_once_then_reused_then_updated
);
on_both_databases!(
    two_instances_racing_make_one_guardrail,
    two_instances_racing_make_one_guardrail
);
on_both_databases!(
    a_guardrail_whose_id_was_never_stored_is_adopted,
    a_guardrail_whose_id_was_never_stored_is_adopted
);
