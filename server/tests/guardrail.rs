//! Step 3 of the claim, on SQLite and on Postgres, against the simulator: the workshop
//! guardrail is created once, reused without calls, updated with one PATCH when the file
//! changes, adopted when an earlier run created it but never stored its id, and never
//! duplicated when two instances (two connection pools on one database) race.

#[path = "support/databases.rs"]
mod databases;

use std::path::Path;
use std::time::Duration;

use app::server::db::Database;
use app::server::guardrail::ensure_guardrail;
use app::server::openrouter::{ClientSettings, OpenRouterClient};
use app::server::registry::{parse_workshop_file, Workshop};
use app::server::secret::Secret;
use databases::FreshDatabase;
use server::openrouter_simulator::{RunningSimulator, Simulator};

const MANAGEMENT_KEY: &str = "sk-or-v1-guardrail-test";

fn workshop(models: &str) -> Workshop {
    let source = format!(
        "title: Agents\ntimezone: UTC\nclaims_open_at: 2020-01-01T00:00:00Z\n\
         claims_close_at: 2099-01-01T00:00:00Z\nkey_limit_usd: 2\nlimit_usd: 10\n\
         allowed_models: [{models}]\n"
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

fn workshop_guardrails(sim: &Simulator) -> Vec<server::openrouter_simulator::wire::Guardrail> {
    sim.guardrails()
        .into_iter()
        .filter(|guardrail| guardrail.name == "workshop-agents")
        .collect()
}

async fn created_once_then_reused_then_updated(fresh: FreshDatabase) {
    let database = Database::connect(fresh.url()).await.unwrap();
    let (running, client) = simulator().await;
    let sim = running.simulator();
    let file = workshop("openai/gpt-5-nano");

    let id = ensure_guardrail(&database, &client, &file, 1)
        .await
        .unwrap();
    let again = ensure_guardrail(&database, &client, &file, 2)
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
        ensure_guardrail(&database, &client, &changed, 3)
            .await
            .unwrap(),
        id
    );
    assert_eq!(sim.call_count("PATCH /guardrails/{id}"), 1);
    let [updated] = workshop_guardrails(sim).try_into().unwrap();
    assert_eq!(updated.allowed_models.map(|models| models.len()), Some(2));
    ensure_guardrail(&database, &client, &changed, 4)
        .await
        .unwrap();
    assert_eq!(
        sim.call_count("PATCH /guardrails/{id}"),
        1,
        "no call once in step"
    );
    database.close().await;
    fresh.drop_database().await;
}

async fn two_instances_racing_make_one_guardrail(fresh: FreshDatabase) {
    let instances = [
        Database::connect(fresh.url()).await.unwrap(),
        Database::connect(fresh.url()).await.unwrap(),
    ];
    let (running, client) = simulator().await;
    // Each OpenRouter round trip takes a while, so the racers really overlap.
    running.simulator().set_latency(Duration::from_millis(50));
    let file = workshop("openai/gpt-5-nano");
    let racers: Vec<_> = (0..10)
        .map(|n| {
            let (database, client, file) = (instances[n % 2].clone(), client.clone(), file.clone());
            tokio::spawn(async move {
                ensure_guardrail(&database, &client, &file, 1)
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
    fresh.drop_database().await;
}

async fn a_guardrail_whose_id_was_never_stored_is_adopted(fresh: FreshDatabase) {
    let database = Database::connect(fresh.url()).await.unwrap();
    let (running, client) = simulator().await;
    let file = workshop("openai/gpt-5-nano");
    // An earlier run created it, then died before remembering the id.
    let mut stale = app::server::guardrail::settings_for(&file);
    stale.allowed_models = vec!["openai/gpt-4o-mini".into()];
    let orphan = client.create_guardrail(&stale).await.unwrap();

    let id = ensure_guardrail(&database, &client, &file, 1)
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
    fresh.drop_database().await;
}

macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::FreshDatabase::sqlite()).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::FreshDatabase::postgres().await).await })*
        }
    };
}

on_both_databases!(
    created_once_then_reused_then_updated,
    two_instances_racing_make_one_guardrail,
    a_guardrail_whose_id_was_never_stored_is_adopted,
);
