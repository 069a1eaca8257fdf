//! The claim, end to end below HTTP, on SQLite and on Postgres, against the simulator:
//! the happy path, races, every OpenRouter call failing in every way, a process dying
//! between creating and storing a key, the window and the caps.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use engine::db::{ClaimStatus, NewReservation, ReserveOutcome};
use engine::mint::{key_name, ClaimError};
use engine::openrouter::NewKey;

use crate::support::mint_rig::{workshop, MintRig};
use crate::support::windows::rfc3339;
use openrouter_sim::{FaultAction, FaultRule};

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn total_calls(rig: &MintRig) -> u64 {
    rig.sim().call_counts().values().sum()
}

on_both_databases!(
    happy_path_then_same_key_without_calls,
    |url: String| async move {
        let rig = MintRig::start(&url).await;
        let agents = workshop("agents", 100, "");
        let ada = rig.attendee("ada@example.com").await;

        let row = rig
            .minter
            .claim(agents.clone(), ada.clone(), now())
            .await
            .unwrap();
        assert_eq!(row.status(), ClaimStatus::Bound);
        let plaintext = rig.database.open_key(&row).unwrap().unwrap();
        assert!(plaintext.expose().starts_with("sk-or-v1-"));
        // Stored sealed: the row holds no usable key.
        assert!(row.or_key_plaintext.as_ref().unwrap().is_sealed());
        // A row is printable without its key (issue 9, item 8).
        assert!(!format!("{row:?}").contains(plaintext.expose()));
        assert_eq!(row.key_name, key_name("agents", &ada.user_id));

        let [key] = rig.keys_of("agents").try_into().unwrap();
        assert_eq!(Some(key.data.hash.as_str()), row.key_hash());
        assert_eq!(key.data.limit, Some(2.0));
        // Keys expire when the workshop says (a day after close), in UTC.
        assert_eq!(
            key.data.expires_at.as_deref(),
            Some(rfc3339(agents.key_expires_at).as_str())
        );
        let guardrail = rig
            .sim()
            .guardrails()
            .into_iter()
            .find(|guardrail| guardrail.name == "workshop-agents")
            .expect("the workshop guardrail exists");
        assert_eq!(key.guardrail_id.as_ref(), Some(&guardrail.id));
        assert_eq!(row.state.guardrail_id(), Some(guardrail.id.as_str()));
        let models = guardrail.allowed_models.unwrap();
        assert_eq!(models.len(), 2);
        assert!(models
            .iter()
            .any(|model| model.starts_with("openai/gpt-5-nano")));
        assert!(models
            .iter()
            .any(|model| model.starts_with("anthropic/claude-sonnet-4")));

        let calls = total_calls(&rig);
        let again = rig.minter.claim(agents, ada, now()).await.unwrap();
        assert_eq!(rig.database.open_key(&again).unwrap(), Some(plaintext));
        assert_eq!(
            total_calls(&rig),
            calls,
            "claiming again makes no OpenRouter call"
        );
    }
);

on_both_databases!(
    twenty_concurrent_claims_by_one_attendee_make_one_key,
    |url: String| async move {
        let rig = MintRig::start(&url).await;
        let agents = workshop("agents", 100, "");
        let ada = rig.attendee("ada@example.com").await;
        let claims = (0..20).map(|_| {
            let (minter, agents, ada) = (rig.minter.clone(), agents.clone(), ada.clone());
            tokio::spawn(async move { minter.claim(agents, ada, now()).await })
        });
        let mut plaintexts = HashSet::new();
        for claim in claims.collect::<Vec<_>>() {
            let row = claim.await.unwrap().expect("every tab gets the key");
            let key = rig.database.open_key(&row).unwrap().unwrap();
            plaintexts.insert(key.expose().to_string());
        }
        assert_eq!(plaintexts.len(), 1);
        assert_eq!(rig.keys_of("agents").len(), 1);
        assert_eq!(rig.sim().call_count("POST /keys"), 1);
    }
);

on_both_databases!(
    three_hundred_attendees_race_for_a_hundred_places,
    |url: String| async move {
        let rig = MintRig::start(&url).await;
        // $2 keys within a $200 budget: room for exactly 100.
        let agents = workshop("agents", 200, "");
        let mut attendees = Vec::new();
        for index in 0..300 {
            attendees.push(rig.attendee(&format!("a{index}@example.com")).await);
        }
        let claims: Vec<_> = attendees
            .into_iter()
            .map(|attendee| {
                let (minter, agents) = (rig.minter.clone(), agents.clone());
                tokio::spawn(async move { minter.claim(agents, attendee, now()).await })
            })
            .collect();
        let (mut keys, mut sold_out) = (0, 0);
        for claim in claims {
            match claim.await.unwrap() {
                Ok(row) => {
                    assert!(row.or_key_plaintext.is_some());
                    keys += 1;
                }
                Err(ClaimError::BudgetExhausted) => sold_out += 1,
                Err(other) => panic!("unexpected claim error: {other}"),
            }
        }
        assert_eq!((keys, sold_out), (100, 200));
        let rows = rig.database.list_attendance("agents").await.unwrap();
        assert_eq!(rows.len(), 100);
        let issued: i64 = rows.iter().map(|row| row.limit_usd_micros).sum();
        assert!(
            issued <= 200_000_000,
            "issued {issued} micro-dollars over a $200 cap"
        );
        assert_eq!(rig.keys_of("agents").len(), 100);
        assert!(rows.iter().all(|row| row.status() == ClaimStatus::Bound));
        // Assignments were batched: fewer calls than keys.
        let assign_calls = rig
            .sim()
            .call_count("POST /guardrails/{id}/assignments/keys");
        assert!(
            assign_calls < 100,
            "{assign_calls} assignment calls for 100 keys"
        );
        rig.assert_no_orphans_or_duplicates("agents").await;
    }
);

on_both_databases!(max_attendees_caps_places, |url: String| async move {
    let rig = MintRig::start(&url).await;
    let agents = workshop("agents", 1000, "max_attendees: 3\n");
    let mut outcomes = Vec::new();
    for index in 0..5 {
        let attendee = rig.attendee(&format!("m{index}@example.com")).await;
        outcomes.push(rig.minter.claim(agents.clone(), attendee, now()).await);
    }
    assert_eq!(outcomes.iter().filter(|outcome| outcome.is_ok()).count(), 3);
    for refused in &outcomes[3..] {
        assert!(
            matches!(refused, Err(ClaimError::AttendeesFull(3))),
            "{refused:?}"
        );
    }
});

on_both_databases!(two_instances_make_one_guardrail, |url: String| async move {
    let rig = MintRig::start(&url).await;
    let other = rig.another_instance(&url).await;
    let agents = workshop("agents", 100, "");
    let mut claims = Vec::new();
    for index in 0..10 {
        let attendee = rig.attendee(&format!("g{index}@example.com")).await;
        let minter = if index % 2 == 0 {
            rig.minter.clone()
        } else {
            other.clone()
        };
        let agents = agents.clone();
        claims.push(tokio::spawn(async move {
            minter.claim(agents, attendee, now()).await
        }));
    }
    for claim in claims {
        claim.await.unwrap().unwrap();
    }
    let named: Vec<_> = rig
        .sim()
        .guardrails()
        .into_iter()
        .filter(|guardrail| guardrail.name == "workshop-agents")
        .collect();
    assert_eq!(named.len(), 1);
    assert_eq!(rig.sim().call_count("POST /guardrails"), 1);
});

/// Every way each of the three calls can fail, once: the claim still ends with exactly
/// one stored, bound key, and nothing else active on OpenRouter.
async fn each_call_failing_each_way(url: String) {
    let rig = MintRig::start(&url).await;
    let routes = [
        "POST /guardrails",
        "POST /keys",
        "POST /guardrails/{id}/assignments/keys",
    ];
    let actions = [
        FaultAction::ServerError { status: 502 },
        FaultAction::RateLimited {
            retry_after_secs: 1,
        },
        FaultAction::Hang,
        FaultAction::ResponseLost,
        // Applied, answered 2xx, body unreadable: the key (or guardrail) exists unseen.
        FaultAction::GarbledSuccess,
    ];
    for (route_index, route) in routes.iter().enumerate() {
        for (action_index, action) in actions.iter().enumerate() {
            // A workshop per case, so the guardrail is created (and disturbed) each time.
            let slug = format!("fault-{route_index}-{action_index}");
            let file = workshop(&slug, 100, "");
            let attendee = rig.attendee(&format!("{slug}@example.com")).await;
            rig.sim()
                .inject(FaultRule::next(*route, 1, *action))
                .unwrap();
            let row = rig
                .minter
                .claim(file, attendee, now())
                .await
                .unwrap_or_else(|error| panic!("{route} failing with {action:?}: {error}"));
            assert!(row.or_key_plaintext.is_some(), "{route} / {action:?}");
            assert_eq!(row.status(), ClaimStatus::Bound, "{route} / {action:?}");
            let active: Vec<_> = rig
                .keys_of(&slug)
                .into_iter()
                .filter(|key| !key.data.disabled)
                .collect();
            assert_eq!(active.len(), 1, "{route} / {action:?}: one active key");
            rig.assert_no_orphans_or_duplicates(&slug).await;
            let guardrails = rig.sim().guardrails();
            let named = guardrails
                .iter()
                .filter(|g| g.name == format!("workshop-{slug}"))
                .count();
            assert_eq!(named, 1, "{route} / {action:?}: one guardrail");
            rig.sim().clear_faults();
        }
    }
}

on_both_databases!(
    faults_on_every_call_lose_nothing,
    each_call_failing_each_way
);

on_both_databases!(
    a_create_that_keeps_failing_leaves_no_orphan,
    |url: String| async move {
        let rig = MintRig::start(&url).await;
        let agents = workshop("agents", 100, "");
        let ada = rig.attendee("ada@example.com").await;
        rig.sim()
            .inject(FaultRule::every("POST /keys", FaultAction::ResponseLost))
            .unwrap();
        let failed = rig.minter.claim(agents.clone(), ada.clone(), now()).await;
        assert!(
            matches!(failed, Err(ClaimError::OpenRouter(_))),
            "{failed:?}"
        );
        assert!(
            rig.sim().call_count("POST /keys") >= 2,
            "the create was tried again"
        );
        // Each lost answer created a key; each was found by name and removed.
        assert!(rig.keys_of("agents").is_empty());
        let row = rig.row(&ada, "agents").await;
        assert_eq!(row.status(), ClaimStatus::Reserved);
        assert!(row.last_error.unwrap().contains("POST /keys"));

        // Clicking again at once: the place is kept and left alone for its backoff (the
        // sweep's: 5 s after a first failure), without a call to OpenRouter.
        rig.sim().clear_faults();
        let calls = rig.sim().call_counts().values().sum::<u64>();
        let again = rig.minter.claim(agents.clone(), ada.clone(), now()).await;
        let Err(ClaimError::PlaceKept { retry_in }) = again else {
            panic!("expected the place kept: {again:?}");
        };
        assert!(
            retry_in <= std::time::Duration::from_secs(5),
            "{retry_in:?}"
        );
        assert_eq!(rig.sim().call_counts().values().sum::<u64>(), calls);

        // Once the backoff has passed (moved back in time rather than waited for), a
        // click mints.
        sqlx::any::install_default_drivers();
        let database = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("UPDATE workshop_attendance SET updated_at = updated_at - 60")
            .execute(&database)
            .await
            .unwrap();
        let row = rig.minter.claim(agents, ada, now()).await.unwrap();
        assert_eq!(row.status(), ClaimStatus::Bound);
        assert_eq!(rig.keys_of("agents").len(), 1);
    }
);

on_both_databases!(
    assignment_failure_leaves_a_usable_unbound_key_then_retry_binds,
    |url: String| async move {
        let rig = MintRig::start(&url).await;
        let agents = workshop("agents", 100, "");
        let ada = rig.attendee("ada@example.com").await;
        let route = "POST /guardrails/{id}/assignments/keys";
        rig.sim()
            .inject(FaultRule::every(
                route,
                FaultAction::ServerError { status: 503 },
            ))
            .unwrap();
        let row = rig
            .minter
            .claim(agents.clone(), ada.clone(), now())
            .await
            .unwrap();
        assert!(row.or_key_plaintext.is_some(), "the attendee has a key");
        assert_eq!(row.status(), ClaimStatus::Minted);
        assert!(row.last_error.as_deref().unwrap().contains("assignment"));
        assert_eq!(row.bind_attempts, 1);
        let [key] = rig.keys_of("agents").try_into().unwrap();
        assert_eq!(key.guardrail_id, None);

        rig.sim().clear_faults();
        let report = rig.minter.bind_unbound(&agents, now()).await.unwrap();
        assert_eq!((report.bound, report.still_unbound), (1, 0));
        let row = rig.row(&ada, "agents").await;
        assert_eq!(row.status(), ClaimStatus::Bound);
        assert_eq!(row.last_error, None);
        let [key] = rig.keys_of("agents").try_into().unwrap();
        assert!(key.guardrail_id.is_some());
    }
);

on_both_databases!(
    a_process_dying_between_create_and_store_is_cleaned_up,
    |url: String| async move {
        let rig = MintRig::start(&url).await;
        let agents = workshop("agents", 100, "");
        let ada = rig.attendee("ada@example.com").await;
        // What a process leaves when it dies right after `POST /keys` answered: the row
        // reserved with its lease taken and the attempt counted, the key on OpenRouter, its
        // plaintext nowhere.
        let name = key_name("agents", &ada.user_id);
        let reservation = NewReservation {
            user_id: &ada.user_id,
            workshop_slug: "agents",
            email_normalized: &ada.email_normalized,
            key_name: &name,
            limit_usd_micros: 2_000_000,
            expires_at: agents.key_expires_at.timestamp(),
            workshop_cap_usd_micros: 100_000_000,
            max_attendees: None,
            take_from_pool: false,
            now: now().timestamp(),
        };
        let ReserveOutcome::Reserved(_) = rig.database.reserve_claim(&reservation).await.unwrap()
        else {
            panic!("expected a reservation");
        };
        // The dead process's lease has two seconds left (its heartbeat stopped).
        let at = Utc::now().timestamp();
        let lease = rig
            .database
            .take_mint_lease(&ada.user_id, "agents", "dead-process", at, at + 2)
            .await
            .unwrap();
        assert!(lease.is_some());
        let orphan = rig
            .client
            .create_key(&NewKey {
                name: name.clone(),
                limit: Some(2.0),
                limit_reset: None,
                expires_at: Some(rfc3339(agents.key_expires_at)),
            })
            .await
            .unwrap();
        // What the client read is never printable (issue 9, item 8).
        assert!(!format!("{orphan:?}").contains(orphan.plaintext.expose()));

        // While the dead process's lease runs, nobody else may mint the row.
        let taken = rig
            .database
            .take_mint_lease(&ada.user_id, "agents", "someone-else", at, at + 2)
            .await
            .unwrap();
        assert_eq!(taken, None);

        // A claim waits for the lease to run out (well within its wait), takes over,
        // removes the orphan and mints.
        let patient = engine::mint::MintSettings {
            wait_for_other: std::time::Duration::from_secs(5),
            ..crate::support::mint_rig::fast_mint_settings()
        };
        let minter = rig.another_instance_with(&url, patient).await;
        let row = minter.claim(agents, ada, now()).await.unwrap();
        assert_eq!(row.status(), ClaimStatus::Bound);
        assert_ne!(row.key_hash(), Some(orphan.key.hash.as_str()));
        let keys = rig.keys_of("agents");
        assert_eq!(keys.len(), 1, "the orphan is gone");
        assert_eq!(Some(keys[0].data.hash.as_str()), row.key_hash());
    }
);

on_both_databases!(
    window_domain_and_budget_refusals_make_no_openrouter_call,
    |url: String| async move {
        let rig = MintRig::start(&url).await;
        let agents = workshop("agents", 2, "allowed_email_domains: [example.com]\n");
        let ada = rig.attendee("ada@example.com").await;
        let before_open = agents.claims_open_at - chrono::Duration::seconds(1);
        let after_close = agents.claims_close_at;

        let early = rig
            .minter
            .claim(agents.clone(), ada.clone(), before_open)
            .await;
        assert!(
            matches!(early, Err(ClaimError::NotOpenYet { .. })),
            "{early:?}"
        );
        let late = rig
            .minter
            .claim(agents.clone(), ada.clone(), after_close)
            .await;
        assert!(matches!(late, Err(ClaimError::Closed { .. })), "{late:?}");
        let eve = rig.attendee("eve@elsewhere.org").await;
        let foreign = rig.minter.claim(agents.clone(), eve, now()).await;
        assert!(
            matches!(foreign, Err(ClaimError::DomainNotAllowed { .. })),
            "{foreign:?}"
        );
        assert_eq!(total_calls(&rig), 0);
        assert!(rig
            .database
            .list_attendance("agents")
            .await
            .unwrap()
            .is_empty());

        // The $2 budget holds one $2 key; the second attendee is told plainly.
        rig.minter
            .claim(agents.clone(), ada.clone(), now())
            .await
            .unwrap();
        let calls = total_calls(&rig);
        let bob = rig.attendee("bob@example.com").await;
        let over = rig.minter.claim(agents.clone(), bob, now()).await;
        assert!(matches!(over, Err(ClaimError::BudgetExhausted)), "{over:?}");
        assert_eq!(total_calls(&rig), calls);

        // After the window closes, Ada still gets her key back.
        let kept = rig.minter.claim(agents, ada, after_close).await.unwrap();
        assert!(kept.or_key_plaintext.is_some());
        assert_eq!(total_calls(&rig), calls);
    }
);

on_both_databases!(
    unbound_keys_are_retried_automatically,
    |url: String| async move {
        let settings = engine::mint::MintSettings {
            rebind_first_delay: std::time::Duration::from_millis(20),
            ..crate::support::mint_rig::fast_mint_settings()
        };
        let rig = MintRig::start_with(&url, settings).await;
        let agents = workshop("agents", 100, "");
        let ada = rig.attendee("ada@example.com").await;
        // The client's four attempts at the assignment all fail; later calls succeed.
        let route = "POST /guardrails/{id}/assignments/keys";
        let failure = FaultAction::ServerError { status: 500 };
        rig.sim()
            .inject(FaultRule::next(route, 4, failure))
            .unwrap();
        let row = rig.minter.claim(agents, ada.clone(), now()).await.unwrap();
        assert_eq!(row.status(), ClaimStatus::Minted);

        // Nobody asks: the server's own retry binds it. Watched with a deadline.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let row = rig.row(&ada, "agents").await;
            if row.status() == ClaimStatus::Bound {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still unbound after 10 s"
            );
            // A poll interval, not a synchronisation: the loop ends on the condition.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let [key] = rig.keys_of("agents").try_into().unwrap();
        assert!(key.guardrail_id.is_some());
    }
);

on_both_databases!(
    fifty_failing_claims_share_a_few_listings_of_a_big_account,
    |url: String| async move {
        let rig = MintRig::start(&url).await;
        let agents = workshop("agents", 10_000, "");
        // A thousand keys of other workshops already on the account: 11 pages a listing.
        let mut creates = Vec::new();
        for batch in 0..20 {
            let client = rig.client.clone();
            creates.push(tokio::spawn(async move {
                for n in 0..50 {
                    let key = NewKey {
                        name: format!("elsewhere-{batch}-{n}"),
                        limit: Some(1.0),
                        limit_reset: None,
                        expires_at: None,
                    };
                    client.create_key(&key).await.unwrap();
                }
            }));
        }
        for create in creates {
            create.await.unwrap();
        }
        // Creating fails for everyone, in a way that might have created the key: every
        // attempt looks for a lost key before the next.
        rig.sim()
            .inject(FaultRule::every(
                "POST /keys",
                FaultAction::ServerError { status: 500 },
            ))
            .unwrap();
        let listings_before = rig.sim().call_count("GET /keys");
        let creates_before = rig.sim().call_count("POST /keys");
        let mut claims = Vec::new();
        for n in 0..50 {
            let attendee = rig.attendee(&format!("a{n}@example.com")).await;
            let (minter, agents) = (rig.minter.clone(), agents.clone());
            claims.push(tokio::spawn(async move {
                minter.claim(agents, attendee, now()).await
            }));
        }
        for claim in claims {
            assert!(claim.await.unwrap().is_err(), "creating fails throughout");
        }
        let pages = rig.sim().call_count("GET /keys") - listings_before;
        let creates = rig.sim().call_count("POST /keys") - creates_before;
        assert_eq!(creates, 150, "three attempts each");
        eprintln!("150 searches of a 1,000-key account: {pages} pages of GET /keys");
        // 150 searches; one listing alone would be 11 pages.
        assert!(
            pages <= 8 * 11,
            "{pages} pages of GET /keys for 150 searches: listings are not shared"
        );
    }
);

on_both_databases!(
    the_sweep_waits_for_the_breaker_instead_of_spending_attempts,
    |url: String| async move {
        use crate::support::mint_rig::{fast_mint_settings, fast_retry, MANAGEMENT_KEY};
        use engine::mint::{MintSettings, Minter};
        use engine::openrouter::{ClientSettings, OpenRouterClient};
        use engine::registry::Registry;
        use engine::secret::Secret;
        use std::time::{Duration, Instant};

        let rig = MintRig::start(&url).await;
        // A client whose breaker, once open, refuses calls for 7 s.
        let mut client_settings =
            ClientSettings::new(rig.simulator.base_url(), Secret::new(MANAGEMENT_KEY));
        client_settings.timeout = Duration::from_millis(400);
        client_settings.retry = fast_retry();
        client_settings.breaker.first_backoff = Duration::from_secs(7);
        let client = OpenRouterClient::new(client_settings).unwrap();
        let settings = MintSettings {
            sweep_stalled_after: Duration::ZERO,
            ..fast_mint_settings()
        };
        let minter = Minter::new(rig.database.clone(), client, settings);
        let agents = workshop("agents", 100, "");
        minter.prepare(&agents, now()).await.unwrap();
        let registry = Registry::from_workshops([(*agents).clone()]);

        // OpenRouter is down for the claim (which opens the breaker), then back at once.
        rig.sim().outage(
            openrouter_sim::OutageKind::Unavailable,
            Duration::from_secs(60),
        );
        let ada = rig.attendee("ada@example.com").await;
        assert!(minter
            .claim(agents.clone(), ada.clone(), now())
            .await
            .is_err());
        rig.sim().clear_faults();
        let open_until = Instant::now()
            + minter
                .client()
                .unavailable_for()
                .expect("the breaker is open");
        let attempts = rig.row(&ada, "agents").await.mint_attempts;

        // While the breaker is open — longer than the row's 5 s backoff — the sweep
        // does not spend attempts on it.
        while Instant::now() + Duration::from_millis(300) < open_until {
            let report = minter.sweep_stalled(&registry).await.unwrap();
            assert_eq!(report.due, 0);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(rig.row(&ada, "agents").await.mint_attempts, attempts);

        // Once the breaker lets a call through, the next pass finishes the kept place.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let report = minter.sweep_stalled(&registry).await.unwrap();
            if report.finished == 1 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the kept place was never finished: {report:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(rig.row(&ada, "agents").await.status(), ClaimStatus::Bound);
    }
);
