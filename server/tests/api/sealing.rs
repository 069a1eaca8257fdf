//! Keys sealed at rest (issue 20, item 4), on SQLite and on Postgres: the database — the
//! SQLite file and its WAL, every row on Postgres — holds no usable key after direct and
//! pool claims; a key ring rotates (new key first, `server rekey`, old key dropped) with
//! every key readable throughout; a ring that cannot open the stored keys is refused at
//! start-up; a tampered row is an error for its attendee only; rows written before
//! sealing are sealed at the next start.

use std::time::{Duration, Instant};

use crate::support::server_process::{session_for, ServerSetup};
use crate::support::windows::Window;
use crate::support::{test_database, workshop_file, TestApp, TestAppBuilder};

const NO_POOL: &str = "key_pool: 0\n";

fn direct() -> String {
    workshop_file("Direct", Window::open_now(), NO_POOL)
}

fn pooled() -> String {
    workshop_file("Pooled", Window::open_now(), "key_pool: 2\n")
}

async fn claim(app: &TestApp, email: &str, slug: &str) -> String {
    let browser = app.demo_sign_in(email).await;
    let (status, answer) = app.call(&browser, "claim_key", &[("slug", slug)]).await;
    assert_eq!(status, 200, "{answer}");
    answer["key"].as_str().unwrap().to_string()
}

/// Every text a row of `table` holds, as the database would dump it.
async fn dump(url: &str, table: &str) -> String {
    sqlx::any::install_default_drivers();
    let database = sqlx::AnyPool::connect(url).await.unwrap();
    let sql = if url.starts_with("postgres") {
        format!("SELECT CAST(t AS TEXT) FROM {table} t")
    } else {
        // SQLite: every column, joined.
        let columns: Vec<(String,)> =
            sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&database)
                .await
                .unwrap();
        let joined: Vec<String> = columns
            .iter()
            .map(|(name,)| format!("COALESCE(CAST({name} AS TEXT), '')"))
            .collect();
        format!("SELECT {} FROM {table}", joined.join(" || '|' || "))
    };
    let rows: Vec<(String,)> = sqlx::query_as(&sql).fetch_all(&database).await.unwrap();
    rows.into_iter()
        .map(|(row,)| row)
        .collect::<Vec<_>>()
        .join("\n")
}

async fn no_usable_key_is_stored(url: String) {
    let app = TestAppBuilder::new()
        .workshop("direct", &direct())
        .workshop("pooled", &pooled())
        .database(&url)
        .spawn()
        .await;
    let minted = claim(&app, "ada@example.com", "direct").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while app
        .simulator()
        .keys()
        .iter()
        .filter(|key| {
            key.data.name.starts_with("workshop-pooled-pool-") && key.guardrail_id.is_some()
        })
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "the pool did not fill");
        tokio::time::sleep(Duration::from_millis(50)).await; // poll interval
    }
    let from_pool = claim(&app, "grace@example.com", "pooled").await;
    assert!(minted.starts_with("sk-or-v1-") && from_pool.starts_with("sk-or-v1-"));

    let mut stored = dump(&url, "workshop_attendance").await;
    stored.push_str(&dump(&url, "key_pool").await);
    assert!(stored.contains("wkm1.test1."), "the keys are there, sealed");
    assert!(
        !stored.contains("sk-or-v1-"),
        "a usable key in the database"
    );
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .map(|rest| rest.split('?').next().unwrap().to_string())
    {
        for file in [path.clone(), format!("{path}-wal")] {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            assert!(
                !bytes.windows(9).any(|window| window == b"sk-or-v1-"),
                "{file} holds a usable key"
            );
        }
    }
}

on_both_databases!(
    the_database_and_its_wal_hold_no_usable_key,
    no_usable_key_is_stored
);

async fn one_tampered_row_fails_alone(url: String) {
    let app = TestAppBuilder::new()
        .workshop("direct", &direct())
        .database(&url)
        .spawn()
        .await;
    let ada_key = claim(&app, "ada@example.com", "direct").await;
    let grace_key = claim(&app, "grace@example.com", "direct").await;
    // Grace's sealed key is copied onto Ada's row: sealed for another row, it must not
    // open there.
    sqlx::any::install_default_drivers();
    let database = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query(
        "UPDATE workshop_attendance SET or_key_plaintext =
             (SELECT or_key_plaintext FROM workshop_attendance WHERE email_normalized = 'grace@example.com')
         WHERE email_normalized = 'ada@example.com'",
    )
    .execute(&database)
    .await
    .unwrap();
    let ada = app.demo_sign_in("ada@example.com").await;
    let (status, answer) = app.call(&ada, "claim_key", &[("slug", "direct")]).await;
    assert_eq!(status, 500, "{answer}");
    assert_eq!(answer, "KeyUnreadable", "{answer}");
    assert!(
        !answer.to_string().contains(&grace_key),
        "never someone else's key"
    );
    let page = ada.get(&app.url("/w/direct")).await;
    assert_eq!(page.status(), 500);
    // Everyone else is served as before.
    let grace = app.demo_sign_in("grace@example.com").await;
    let (status, answer) = app.call(&grace, "claim_key", &[("slug", "direct")]).await;
    assert_eq!(status, 200);
    assert_eq!(answer["key"], grace_key.as_str());
    assert_eq!(grace.get(&app.url("/w/direct")).await.status(), 200);
    assert_ne!(ada_key, grace_key);
}

on_both_databases!(
    a_tampered_row_is_an_error_for_its_attendee_only,
    one_tampered_row_fails_alone
);

async fn plaintext_rows_are_sealed_at_start(url: String) {
    let first = TestAppBuilder::new()
        .workshop("direct", &direct())
        .database(&url)
        .spawn()
        .await;
    let key = claim(&first, "ada@example.com", "direct").await;
    drop(first);
    // A row as an older version wrote it: the key in plaintext.
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE workshop_attendance SET or_key_plaintext = $1")
        .bind(&key)
        .execute(&raw)
        .await
        .unwrap();
    let second = TestAppBuilder::new()
        .workshop("direct", &direct())
        .database(&url)
        .spawn()
        .await;
    assert!(!dump(&url, "workshop_attendance")
        .await
        .contains("sk-or-v1-"));
    assert_eq!(claim(&second, "ada@example.com", "direct").await, key);
}

on_both_databases!(
    keys_stored_in_plaintext_are_sealed_at_the_next_start,
    plaintext_rows_are_sealed_at_start
);

const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const K1_OTHER_BYTES: &str = "k1:QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8=";

/// The real binary, restarted with the key ring changing under it.
async fn a_key_ring_rotates(url: String) {
    let simulator = openrouter_sim::Simulator::new("sk-or-v1-rotation-test")
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut setup = ServerSetup::new(
        dir.path(),
        &[("direct", direct())],
        &url,
        simulator.base_url(),
        "sk-or-v1-rotation-test",
    );
    let database = test_database(&url).await;
    let (_, cookie) = session_for(&database, "ada@example.com").await;
    let claim = |base_url: String| {
        let cookie = cookie.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!("{base_url}/api/claim_key"))
                .header("cookie", cookie)
                .form(&[("slug", "direct")])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let answer: serde_json::Value = response.json().await.unwrap();
            answer["key"].as_str().unwrap().to_string()
        }
    };
    let with_ring = |setup: &mut ServerSetup, ring: &str| {
        setup.extra_env = vec![("KEY_ENCRYPTION_KEYS".into(), ring.into())];
    };

    with_ring(&mut setup, K1);
    let mut server = setup.start().await;
    let key = claim(server.base_url.clone()).await;
    server.kill_hard().await;

    // A new key first, the old one after it: everything still opens.
    with_ring(&mut setup, &format!("{K2},{K1}"));
    let mut server = setup.start().await;
    assert_eq!(claim(server.base_url.clone()).await, key);
    server.kill_hard().await;
    let rekey = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("rekey")
        .env_clear()
        .env("DATABASE_URL", &url)
        .env("KEY_ENCRYPTION_KEYS", format!("{K2},{K1}"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&rekey.stdout);
    assert!(
        rekey.status.success(),
        "{}",
        String::from_utf8_lossy(&rekey.stderr)
    );
    assert!(
        said.contains("re-sealed 1 attendee key(s)") && said.contains("`k2`"),
        "{said}"
    );
    assert!(dump(&url, "workshop_attendance").await.contains("wkm1.k2."));

    // The old key dropped: still readable.
    with_ring(&mut setup, K2);
    let mut server = setup.start().await;
    assert_eq!(claim(server.base_url.clone()).await, key);
    server.kill_hard().await;

    // A ring without the sealing key, or with other bytes under its id: refused.
    with_ring(&mut setup, K1);
    let refused = setup.start_expecting_refusal().await;
    assert!(
        refused.contains("sealed with key `k2`, which KEY_ENCRYPTION_KEYS does not have"),
        "{refused}"
    );
    with_ring(&mut setup, &K1_OTHER_BYTES.replace("k1:", "k2:"));
    let refused = setup.start_expecting_refusal().await;
    assert!(
        refused.contains("has a key `k2`, but not the one the stored keys were sealed with"),
        "{refused}"
    );
    assert!(!refused.contains("sk-or-v1-"), "{refused}");
}

on_both_databases!(
    rotation_keeps_every_key_readable_and_a_wrong_ring_is_refused,
    a_key_ring_rotates
);
