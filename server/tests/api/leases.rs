//! The one lease protocol (`engine::leases::Leases::with_lease`): one holder at a time,
//! the lease kept alive while the work runs, handed back when it ends, and a completed
//! run remembered for the next holder.

use std::time::{Duration, Instant};

use engine::leases::{Finished, Leases};

const TTL: Duration = Duration::from_secs(20);

on_both_databases!(
    one_holder_at_a_time_and_a_completed_run_is_remembered,
    |url: String| async move {
        let database = crate::support::test_database(&url).await;
        let a = Leases::new(database.clone(), "instance-a");
        let b = Leases::new(database.clone(), "instance-b");
        let now = chrono::Utc::now().timestamp();

        // While a's work runs, b finds the lease taken and does not run.
        let ran = a
            .with_lease("job", now, TTL, |last_done_at| {
                assert_eq!(last_done_at, None, "the job never ran before");
                async {
                    let inside = b
                        .with_lease("job", now, TTL, |_| async {
                            Finished::from(Ok::<_, ()>("b ran"))
                        })
                        .await
                        .unwrap();
                    Finished::from(Ok::<_, ()>(inside.is_none()))
                }
            })
            .await
            .unwrap();
        assert_eq!(ran, Some(Ok(true)), "b was kept out while a worked");

        // Handed back at the end: b takes it at once and learns when a completed.
        let seen = b
            .with_lease("job", now, TTL, |last_done_at| async move {
                Finished::incomplete(last_done_at)
            })
            .await
            .unwrap();
        let Some(Some(done)) = seen else {
            panic!("b did not run, or did not see a's completed run: {seen:?}");
        };
        assert!(
            (now..now + 10).contains(&done),
            "completed at {done}, started at {now}"
        );

        // b's run did not complete, so it is not remembered; a failed run neither.
        let failed = a
            .with_lease("job", now, TTL, |_| async {
                Finished::from(Err::<(), _>("failed"))
            })
            .await
            .unwrap();
        assert_eq!(failed, Some(Err("failed")));
        let remembered = a
            .with_lease("job", now, TTL, |last_done_at| async move {
                Finished::incomplete(last_done_at)
            })
            .await
            .unwrap();
        assert_eq!(remembered, Some(Some(done)));
    }
);

on_both_databases!(
    the_heartbeat_keeps_a_long_run_held_past_its_first_term,
    |url: String| async move {
        let database = crate::support::test_database(&url).await;
        let leases = Leases::new(database.clone(), "instance-a");
        let now = chrono::Utc::now().timestamp();
        let ttl = Duration::from_secs(4);
        let first_term_ends = now + ttl.as_secs() as i64;
        // Beats every second; the lease is renewed past its first term within two.
        let renewed = leases
            .with_lease("long-job", now, ttl, |_| async {
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let held = database
                        .background_leases_of("instance-a", first_term_ends + 1)
                        .await
                        .unwrap();
                    if held == vec![("long-job".to_string(), true)] {
                        return Finished::incomplete(true);
                    }
                    if Instant::now() > deadline {
                        return Finished::incomplete(false);
                    }
                    // Polling the row, which the heartbeat task writes.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
            .await
            .unwrap();
        assert_eq!(renewed, Some(true), "the lease was never renewed");
        // Handed back at the end, so it is no longer held.
        let held = database
            .background_leases_of("instance-a", chrono::Utc::now().timestamp())
            .await
            .unwrap();
        assert_eq!(held, vec![("long-job".to_string(), false)]);
    }
);
