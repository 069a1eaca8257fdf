//! Repository tests, each run on a fresh SQLite file and on a fresh Postgres database.

use engine::db::{
    ClaimStatus, Database, MintLease, MintedKey, NewReservation, ReserveOutcome, SignedInAttendee,
};
use engine::secret::Secret;

/// Declares `$name::sqlite` and `$name::postgres`, each running `$body(database)`.
macro_rules! on_both_repositories {
    ($name:ident, $body:expr) => {
        on_both_databases!($name, |url: String| async move {
            let database = crate::support::test_database(&url).await;
            ($body)(database.clone()).await;
            database.close().await;
        });
    };
}

fn ada() -> SignedInAttendee {
    SignedInAttendee {
        user_id: "github:1".into(),
        email: "Ada@Example.com".into(),
        email_normalized: "ada@example.com".into(),
        display_name: Some("Ada".into()),
        auth_provider: "github".into(),
    }
}

fn attendee(n: usize) -> SignedInAttendee {
    SignedInAttendee {
        user_id: format!("demo:{n}"),
        email: format!("person{n}@example.com"),
        email_normalized: format!("person{n}@example.com"),
        display_name: None,
        auth_provider: "demo".into(),
    }
}

fn reservation<'a>(user: &'a SignedInAttendee, key_name: &'a str) -> NewReservation<'a> {
    NewReservation {
        user_id: &user.user_id,
        workshop_slug: "ws",
        email_normalized: &user.email_normalized,
        key_name,
        limit_usd_micros: 2_000_000,
        expires_at: 2_000_000_000,
        workshop_cap_usd_micros: 10_000_000,
        max_attendees: None,
        take_from_pool: false,
        now: 1_000,
    }
}

on_both_repositories!(ping_answers, |db: Database| async move {
    db.ping().await.unwrap();
});

on_both_repositories!(
    upsert_attendee_keeps_first_seen_and_refreshes_the_rest,
    |db: Database| async move {
        let first = db.upsert_attendee(&ada(), 100).await.unwrap();
        assert_eq!((first.first_seen_at, first.last_seen_at), (100, 100));
        let renamed = SignedInAttendee {
            display_name: Some("Ada L.".into()),
            ..ada()
        };
        let second = db.upsert_attendee(&renamed, 200).await.unwrap();
        assert_eq!((second.first_seen_at, second.last_seen_at), (100, 200));
        assert_eq!(second.display_name.as_deref(), Some("Ada L."));
        assert_eq!(db.find_attendee("github:1").await.unwrap(), Some(second));
        assert_eq!(db.find_attendee("github:2").await.unwrap(), None);
    }
);

on_both_repositories!(reserve_then_store_then_bind, |db: Database| async move {
    let user = ada();
    db.upsert_attendee(&user, 1).await.unwrap();
    let ReserveOutcome::Reserved(row) = db
        .reserve_claim(&reservation(&user, "workshop-ws-a"))
        .await
        .unwrap()
    else {
        panic!("expected a new reservation");
    };
    assert_eq!(row.status(), ClaimStatus::Reserved);
    assert_eq!(row.or_key_plaintext, None);

    // One request at a time holds the lease; a second is refused until it expires.
    let lease = db
        .take_mint_lease("github:1", "ws", "lease-a", 4, 64)
        .await
        .unwrap();
    assert_eq!(lease, Some(MintLease { attempt: 1 }));
    assert_eq!(
        db.take_mint_lease("github:1", "ws", "lease-b", 5, 65)
            .await
            .unwrap(),
        None
    );
    let plaintext = Secret::new("sk-or-v1-plaintext-secret");
    let key = |lease, hash| MintedKey {
        user_id: "github:1",
        workshop_slug: "ws",
        lease,
        hash,
        plaintext: &plaintext,
        label: "sk-or-v1-x...",
        now: 5,
    };
    // Printing what is about to be stored never prints the key.
    assert!(!format!("{:?}", key("lease-a", "hash-1")).contains("plaintext-secret"));
    // Only the lease holder may store.
    assert!(!db
        .store_minted_key(&key("lease-b", "hash-2"))
        .await
        .unwrap());
    assert!(db
        .store_minted_key(&key("lease-a", "hash-1"))
        .await
        .unwrap());
    // A second store on the same row is refused: a key is stored exactly once.
    assert!(!db
        .store_minted_key(&key("lease-a", "hash-2"))
        .await
        .unwrap());
    assert_eq!(
        db.mark_bound(&["hash-1".into()], "gr-1", 7).await.unwrap(),
        1
    );

    let row = db.find_attendance("github:1", "ws").await.unwrap().unwrap();
    assert_eq!(row.status(), ClaimStatus::Bound);
    assert_eq!(row.key_hash(), Some("hash-1"));
    assert_eq!(row.state.guardrail_id(), Some("gr-1"));
    assert_eq!(row.guardrail_attached_at, Some(7));
});

on_both_repositories!(
    same_mailbox_under_another_sign_in_gets_the_existing_row,
    |db: Database| async move {
        let github = ada();
        let google = SignedInAttendee {
            user_id: "google:xyz".into(),
            auth_provider: "google".into(),
            ..ada()
        };
        db.upsert_attendee(&github, 1).await.unwrap();
        db.upsert_attendee(&google, 1).await.unwrap();
        assert!(matches!(
            db.reserve_claim(&reservation(&github, "k1")).await.unwrap(),
            ReserveOutcome::Reserved(_)
        ));
        let ReserveOutcome::Existing(row) =
            db.reserve_claim(&reservation(&google, "k2")).await.unwrap()
        else {
            panic!("the same mailbox must not get a second key");
        };
        assert_eq!(row.user_id, "github:1");
    }
);

on_both_repositories!(caps_are_enforced, |db: Database| async move {
    for n in 0..3 {
        db.upsert_attendee(&attendee(n), 1).await.unwrap();
    }
    let (a, b, c) = (attendee(0), attendee(1), attendee(2));
    let capped = |user, name| NewReservation {
        max_attendees: Some(2),
        ..reservation(user, name)
    };
    assert!(matches!(
        db.reserve_claim(&capped(&a, "k0")).await.unwrap(),
        ReserveOutcome::Reserved(_)
    ));
    assert!(matches!(
        db.reserve_claim(&capped(&b, "k1")).await.unwrap(),
        ReserveOutcome::Reserved(_)
    ));
    assert_eq!(
        db.reserve_claim(&capped(&c, "k2")).await.unwrap(),
        ReserveOutcome::AttendeesFull
    );
    let over_budget = NewReservation {
        workshop_cap_usd_micros: 5_000_000,
        ..reservation(&c, "k2")
    };
    assert_eq!(
        db.reserve_claim(&over_budget).await.unwrap(),
        ReserveOutcome::BudgetExhausted
    );
    assert_eq!(db.list_attendance("ws").await.unwrap().len(), 2);
});

on_both_repositories!(
    racing_reservations_never_exceed_the_cap,
    |db: Database| async move {
        // 60 people race for 5 places ($10 cap, $2 keys), and one of them clicks 5 times.
        let people: Vec<_> = (0..60).map(attendee).collect();
        for person in &people {
            db.upsert_attendee(person, 1).await.unwrap();
        }
        let mut tasks = Vec::new();
        for (index, person) in people.iter().cloned().enumerate() {
            let clicks = if index == 0 { 5 } else { 1 };
            for _ in 0..clicks {
                let db = db.clone();
                let person = person.clone();
                tasks.push(tokio::spawn(async move {
                    let name = format!("key-{}", person.user_id);
                    db.reserve_claim(&reservation(&person, &name))
                        .await
                        .unwrap()
                }));
            }
        }
        let mut reserved = 0;
        let mut exhausted = 0;
        for task in tasks {
            match task.await.unwrap() {
                ReserveOutcome::Reserved(_) => reserved += 1,
                ReserveOutcome::BudgetExhausted => exhausted += 1,
                ReserveOutcome::Existing(row) => assert_eq!(row.user_id, "demo:0"),
                ReserveOutcome::AttendeesFull => panic!("no attendee cap was set"),
            }
        }
        assert_eq!(reserved, 5);
        assert!(exhausted >= 55, "{exhausted}");
        let rows = db.list_attendance("ws").await.unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(
            rows.iter().map(|row| row.limit_usd_micros).sum::<i64>(),
            10_000_000
        );
    }
);

on_both_repositories!(
    sessions_expire_and_can_be_deleted,
    |db: Database| async move {
        db.upsert_attendee(&ada(), 1).await.unwrap();
        db.insert_session("hash-a", "github:1", 100, 200)
            .await
            .unwrap();
        assert_eq!(
            db.find_session_attendee("hash-a", 150)
                .await
                .unwrap()
                .unwrap()
                .user_id,
            "github:1"
        );
        assert_eq!(
            db.find_session_attendee("hash-a", 200).await.unwrap(),
            None,
            "expired"
        );
        assert_eq!(db.find_session_attendee("forged", 150).await.unwrap(), None);
        db.delete_session("hash-a").await.unwrap();
        assert_eq!(db.find_session_attendee("hash-a", 150).await.unwrap(), None);
    }
);

on_both_repositories!(
    a_shared_secret_is_made_once_and_kept,
    |db: Database| async move {
        let first = db.shared_secret("k", "first", 10).await.unwrap();
        assert_eq!(first, "first");
        // Another instance starting later (or at the same time) gets the stored one.
        assert_eq!(db.shared_secret("k", "second", 11).await.unwrap(), "first");
        assert_eq!(db.shared_secret("other", "x", 12).await.unwrap(), "x");
    }
);

on_both_repositories!(
    a_version_registered_in_the_same_second_is_still_the_newest,
    |db: Database| async move {
        db.register_workshop_version("ws", "a-old", 1_000)
            .await
            .unwrap();
        // The new instance starts within the same second (its digest sorts after the old
        // one's, so a tie would pick the old), and a third on a host whose
        // clock is behind: each still counts as the later start.
        db.register_workshop_version("ws", "b-new", 1_000)
            .await
            .unwrap();
        assert_eq!(
            db.newest_workshop_version("ws").await.unwrap().as_deref(),
            Some("b-new")
        );
        db.register_workshop_version("ws", "c-behind", 990)
            .await
            .unwrap();
        assert_eq!(
            db.newest_workshop_version("ws").await.unwrap().as_deref(),
            Some("c-behind")
        );
        // Another workshop's versions are its own.
        assert_eq!(db.newest_workshop_version("other").await.unwrap(), None);
    }
);

on_both_repositories!(
    a_listing_older_than_an_organisers_enable_does_not_undo_it,
    |db: Database| async move {
        let user = ada();
        db.upsert_attendee(&user, 1).await.unwrap();
        db.reserve_claim(&reservation(&user, "k")).await.unwrap();
        db.take_mint_lease("github:1", "ws", "lease", 2, 60)
            .await
            .unwrap();
        let plaintext = Secret::new("sk-or-v1-listing");
        assert!(db
            .store_minted_key(&MintedKey {
                user_id: "github:1",
                workshop_slug: "ws",
                lease: "lease",
                hash: "hash-1",
                plaintext: &plaintext,
                label: "sk-or-v1-x...",
                now: 3,
            })
            .await
            .unwrap());
        // OpenRouter says the key is disabled; a listing asked for at any time is taken
        // while no organiser has touched the row (its other updates, like the claim at
        // 1,000, do not count).
        let disabled_there = engine::db::KeyFigures {
            hash: "hash-1".into(),
            usage_usd_micros: 420_000,
            limit_remaining_usd_micros: Some(1_580_000),
            disabled: true,
        };
        db.record_key_figures(std::slice::from_ref(&disabled_there), 1_001, 999)
            .await
            .unwrap();
        let row = db.find_attendance("github:1", "ws").await.unwrap().unwrap();
        assert_eq!(row.key_disabled, Some(1));
        assert_eq!(row.usage_usd_micros, Some(420_000), "the spend is recorded");
        // The organiser enables it at 2,000; a listing asked for at 1,999 (the key still
        // disabled then) arrives afterwards: the Enable stands.
        db.set_key_disabled("hash-1", false, 2_000).await.unwrap();
        db.record_key_figures(std::slice::from_ref(&disabled_there), 2_001, 1_999)
            .await
            .unwrap();
        let row = db.find_attendance("github:1", "ws").await.unwrap().unwrap();
        assert_eq!(row.key_disabled, Some(0), "the organiser's Enable stands");
        // A listing asked for after the Enable is OpenRouter's word.
        db.record_key_figures(&[disabled_there], 2_002, 2_001)
            .await
            .unwrap();
        let row = db.find_attendance("github:1", "ws").await.unwrap().unwrap();
        assert_eq!(row.key_disabled, Some(1));
    }
);

/// Every combination of the columns the row status reads, one row each: the status SQL
/// (the table's filter, the figures' counts) and the Rust rule for a loaded row agree.
async fn status_sql_and_rust_agree(url: String) {
    use engine::db::row_status::row_status;
    use engine::db::{ClaimsPageQuery, ORDER_NEWEST};
    use std::collections::BTreeMap;
    use wire::model::RowStatus;

    let db = crate::support::test_database(&url).await;
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    let now = 5_000;
    let mut n = 0;
    for claim_status in ["reserved", "minted", "bound"] {
        for mint_attempts in [0, 2] {
            for lease_until in [None, Some(now - 10), Some(now), Some(now + 10)] {
                for key_disabled in [None, Some(0), Some(1)] {
                    n += 1;
                    let user = attendee(n);
                    db.upsert_attendee(&user, 1).await.unwrap();
                    let key_name = format!("k{n}");
                    let claim = NewReservation {
                        workshop_cap_usd_micros: 1_000_000_000,
                        ..reservation(&user, &key_name)
                    };
                    let outcome = db.reserve_claim(&claim).await.unwrap();
                    assert!(
                        matches!(outcome, ReserveOutcome::Reserved(_)),
                        "{outcome:?}"
                    );
                    let has_key = claim_status != "reserved";
                    let bound = claim_status == "bound";
                    sqlx::query(
                        "UPDATE workshop_attendance SET claim_status = $1, mint_attempts = $2,
                             mint_lease_until = $3, key_disabled = $4,
                             or_key_hash = $5, or_key_plaintext = $6, or_guardrail_id = $7
                         WHERE key_name = $8",
                    )
                    .bind(claim_status)
                    .bind(mint_attempts)
                    .bind(lease_until)
                    .bind(key_disabled)
                    .bind(has_key.then(|| format!("hash-{n}")))
                    .bind(has_key.then(|| "sealed elsewhere".to_string()))
                    .bind(bound.then(|| "gr-1".to_string()))
                    .bind(&key_name)
                    .execute(&raw)
                    .await
                    .unwrap();
                }
            }
        }
    }
    let page = |status: Option<RowStatus>| ClaimsPageQuery {
        workshop_slug: "ws",
        search: "",
        status,
        order: ORDER_NEWEST,
        limit: 1_000,
        offset: 0,
        now,
    };
    // The Rust rule over every loaded row.
    let (rows, total) = db.table_page(&page(None)).await.unwrap();
    assert_eq!(total, n as i64);
    let mut by_rust: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for row in &rows {
        let status = row_status(&row.attendance, now);
        by_rust
            .entry(status.as_str())
            .or_default()
            .push(row.attendance.key_name.clone());
    }
    // The SQL filter, status by status, and the counts.
    let counts = db.figure_counts("ws", now).await.unwrap();
    for status in RowStatus::ALL {
        let (rows, _) = db.table_page(&page(Some(status))).await.unwrap();
        let mut by_sql: Vec<String> = rows
            .into_iter()
            .map(|row| row.attendance.key_name)
            .collect();
        by_sql.sort();
        let mut expected = by_rust.get(status.as_str()).cloned().unwrap_or_default();
        expected.sort();
        assert_eq!(by_sql, expected, "the filter for {status:?}");
        let counted = match status {
            RowStatus::Bound => counts.bound,
            RowStatus::Unbound => counts.unbound,
            RowStatus::Preparing => counts.preparing,
            RowStatus::Failed => counts.failed,
            RowStatus::Disabled => counts.disabled,
        };
        assert_eq!(counted, expected.len() as i64, "the count of {status:?}");
    }
    // Every status occurs, so the comparison above compared something.
    assert_eq!(by_rust.len(), RowStatus::ALL.len(), "{by_rust:?}");
    db.close().await;
}

on_both_databases!(
    the_row_status_rule_is_the_same_in_sql_and_in_rust,
    status_sql_and_rust_agree
);

/// A row whose `claim_status` is none of ours (a CHECK the database enforces, bypassed
/// here) fails to read with an error naming the word, instead of reading as reserved.
/// SQLite only: Postgres offers no switch to write past a CHECK constraint.
#[tokio::test]
async fn an_unknown_claim_status_fails_the_read_instead_of_reading_as_reserved() {
    let fresh = crate::support::databases::FreshDatabase::sqlite();
    let db = crate::support::test_database(fresh.url()).await;
    let user = ada();
    db.upsert_attendee(&user, 1).await.unwrap();
    db.reserve_claim(&reservation(&user, "k")).await.unwrap();
    let mut raw = {
        use sqlx::Connection;
        sqlx::SqliteConnection::connect(fresh.url()).await.unwrap()
    };
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut raw)
        .await
        .unwrap();
    sqlx::query("UPDATE workshop_attendance SET claim_status = 'paused'")
        .execute(&mut raw)
        .await
        .unwrap();
    let read = db.find_attendance(&user.user_id, "ws").await;
    let error = read.expect_err("an unknown status must not read as a claim");
    assert!(error.to_string().contains("paused"), "{error}");
    db.close().await;
}

/// A row whose columns contradict its status — here a bound key without the guardrail it
/// is bound to, which no code path writes — fails to read with an error naming the missing
/// column, instead of reading as a claim in a state it is not in.
async fn contradicting_columns_fail_the_read(url: String) {
    let db = crate::support::test_database(&url).await;
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    let user = ada();
    db.upsert_attendee(&user, 1).await.unwrap();
    db.reserve_claim(&reservation(&user, "k")).await.unwrap();
    sqlx::query(
        "UPDATE workshop_attendance SET claim_status = 'bound', or_key_hash = 'hash-1',
             or_key_plaintext = 'sealed elsewhere', or_guardrail_id = NULL",
    )
    .execute(&raw)
    .await
    .unwrap();
    let read = db.find_attendance(&user.user_id, "ws").await;
    let error = read.expect_err("a bound row without its guardrail must not read as bound");
    assert!(error.to_string().contains("or_guardrail_id"), "{error}");
    // Put right, the same row reads as the bound claim it is.
    sqlx::query("UPDATE workshop_attendance SET or_guardrail_id = 'gr-1'")
        .execute(&raw)
        .await
        .unwrap();
    let row = db
        .find_attendance(&user.user_id, "ws")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.state,
        engine::db::ClaimState::Bound {
            key_hash: "hash-1".into(),
            guardrail_id: "gr-1".into()
        }
    );
    raw.close().await;
    db.close().await;
}

on_both_databases!(
    a_row_whose_columns_contradict_its_status_fails_the_read,
    contradicting_columns_fail_the_read
);
