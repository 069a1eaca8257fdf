//! The usage sync on SQLite and on Postgres: 250 keys in three `GET /keys` calls with the
//! simulator's figures copied exactly, disabled state learnt, and one sync at a time.

use std::time::Duration;

use crate::support::mint_rig::{workshop, MintRig};
use chrono::Utc;
use engine::openrouter::KeyUpdate;
use engine::usage_sync::{SyncOutcome, UsageSyncer};

async fn rig_with_claims(url: &str, count: usize) -> MintRig {
    let rig = MintRig::start(url).await;
    let agents = workshop("agents", 10_000, "");
    let now = Utc::now();
    let mut claims = Vec::new();
    for index in 0..count {
        let attendee = rig.attendee(&format!("u{index}@example.com")).await;
        let (minter, agents) = (rig.minter.clone(), agents.clone());
        claims.push(tokio::spawn(async move {
            minter.claim(agents, attendee, now).await
        }));
    }
    for claim in claims {
        claim.await.unwrap().unwrap();
    }
    rig
}

on_both_databases!(
    two_hundred_fifty_keys_in_three_calls,
    |url: String| async move {
        let rig = rig_with_claims(&url, 250).await;
        let keys = rig.keys_of("agents");
        // Spend on some keys, in amounts with six decimals.
        for (index, key) in keys.iter().enumerate().filter(|(index, _)| index % 7 == 0) {
            assert!(rig
                .sim()
                .add_usage(&key.data.hash, 0.000_123 * (index as f64 + 1.0)));
        }
        let disabled = &keys[3].data.hash;
        rig.client
            .update_key(
                disabled,
                &KeyUpdate {
                    disabled: Some(true),
                    ..KeyUpdate::default()
                },
            )
            .await
            .unwrap();

        let lists_before = rig.sim().call_count("GET /keys");
        let syncer = UsageSyncer::new(
            rig.database.clone(),
            rig.client.clone(),
            "a".into(),
            Duration::from_secs(60),
        );
        let SyncOutcome::Synced(report) = syncer.sync(5_000, false).await.unwrap() else {
            panic!("expected a sync");
        };
        assert_eq!(report.list_calls, 3);
        assert_eq!(rig.sim().call_count("GET /keys") - lists_before, 3);
        assert_eq!(report.rows_updated, 250);

        let rows = rig.database.list_attendance("agents").await.unwrap();
        for key in rig.keys_of("agents") {
            let row = rows
                .iter()
                .find(|row| row.key_hash() == Some(key.data.hash.as_str()))
                .expect("every key is on a row");
            let usage_micros = (key.data.usage * 1e6).round() as i64;
            assert_eq!(
                row.usage_usd_micros,
                Some(usage_micros),
                "{}",
                key.data.name
            );
            let remaining = key
                .data
                .limit_remaining
                .map(|left| (left * 1e6).round() as i64);
            assert_eq!(row.limit_remaining_usd_micros, remaining);
            assert_eq!(row.key_disabled, Some(i64::from(key.data.disabled)));
            assert_eq!(row.usage_synced_at, Some(5_000));
        }
        assert!(rows.iter().any(|row| row.usage_usd_micros.unwrap() > 0));
        assert_eq!(
            rows.iter()
                .filter(|row| row.key_disabled == Some(1))
                .count(),
            1
        );
    }
);

on_both_databases!(
    one_sync_at_a_time_and_fresh_figures_are_not_fetched_again,
    |url: String| async move {
        let rig = rig_with_claims(&url, 3).await;
        let first = UsageSyncer::new(
            rig.database.clone(),
            rig.client.clone(),
            "one".into(),
            Duration::from_secs(60),
        );
        let second = UsageSyncer::new(
            rig.database.clone(),
            rig.client.clone(),
            "two".into(),
            Duration::from_secs(60),
        );

        // Another instance holding the lease (a sync in progress) keeps this one out.
        let held = rig
            .database
            .take_background_lease("usage-sync", "two", 1_000, 1_300)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.sync(1_000, true).await.unwrap(), SyncOutcome::Busy);
        rig.database
            .finish_background_lease(&held, false, 1_001)
            .await
            .unwrap();

        assert!(matches!(
            first.sync(1_002, false).await.unwrap(),
            SyncOutcome::Synced(_)
        ));
        let lists = rig.sim().call_count("GET /keys");
        // Within the interval, the timer's sync is skipped on every instance...
        assert_eq!(
            second.sync(1_030, false).await.unwrap(),
            SyncOutcome::Fresh { synced_at: 1_002 }
        );
        assert_eq!(rig.sim().call_count("GET /keys"), lists);
        // ...but an organiser's "sync now" runs; twenty more clicks within the cooldown
        // are answered with its time, without another listing.
        assert!(matches!(
            second.sync_now_for("agents", 1_031).await.unwrap(),
            SyncOutcome::Synced(_)
        ));
        let lists = rig.sim().call_count("GET /keys");
        for click in 0..20 {
            assert_eq!(
                second
                    .sync_now_for("agents", 1_032 + click / 4)
                    .await
                    .unwrap(),
                SyncOutcome::Fresh { synced_at: 1_031 },
                "click {click}"
            );
        }
        assert_eq!(rig.sim().call_count("GET /keys"), lists);
        // Another workshop's organisers have a cooldown of their own.
        assert!(matches!(
            second.sync_now_for("other", 1_033).await.unwrap(),
            SyncOutcome::Synced(_)
        ));
        // And after the interval, the timer syncs again.
        assert!(matches!(
            first.sync(1_100, false).await.unwrap(),
            SyncOutcome::Synced(_)
        ));
    }
);

on_both_databases!(
    failed_syncs_back_off_and_a_rate_limit_is_honoured,
    |url: String| async move {
        let rig = rig_with_claims(&url, 2).await;
        let syncer = UsageSyncer::new(
            rig.database.clone(),
            rig.client.clone(),
            "one".into(),
            Duration::from_secs(60),
        );
        // OpenRouter refuses the listing once with a 429 asking for 30 s.
        rig.sim()
            .inject(
                serde_json::from_value(serde_json::json!({
                    "route": "GET /keys",
                    "action": { "kind": "rate_limited", "retry_after_secs": 30 },
                    "times": 1
                }))
                .unwrap(),
            )
            .unwrap();
        let lists = rig.sim().call_count("GET /keys");
        let failed = syncer.sync(2_000, false).await;
        assert!(failed.is_err(), "{failed:?}");
        assert_eq!(rig.sim().call_count("GET /keys"), lists + 1, "not retried");
        // Page views and the timer now leave it alone for a while, and nobody — not an
        // organiser either — calls OpenRouter before its Retry-After has passed.
        for _ in 0..10 {
            assert!(matches!(
                syncer.sync(2_001, false).await.unwrap(),
                SyncOutcome::BackingOff { .. }
            ));
        }
        let held = syncer.sync(2_002, true).await;
        assert!(held.is_err(), "{held:?}");
        assert_eq!(rig.sim().call_count("GET /keys"), lists + 1);
    }
);
