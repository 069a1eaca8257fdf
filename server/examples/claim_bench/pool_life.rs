//! A pool shape's whole life, driven through the demo clock the way a real workshop
//! lives it: the clock moves into the lead time before claims open and the server fills
//! the pool on its own; it moves to the opening and the claims are fired; it moves past
//! the close and the server deletes what nobody claimed. Every OpenRouter call from the
//! first pool key to the last deletion is counted, and divided by the keys handed out.
//! Also the outage switch (the simulator's `/_simulator/outage`) and, for the shape
//! without a pool, the wait until every place kept during the outage got its key.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::admin::call_json;
use crate::options::Shape;
use crate::simulator::{self, DEMO_MANAGEMENT_KEY};

/// How long the server may take to fill a pool, to delete it, or to finish the places
/// kept during an outage, before the run is called failed.
const PATIENCE: Duration = Duration::from_secs(300);
/// Between two looks at a condition the server brings about on its own timers.
const POLL: Duration = Duration::from_millis(100);

/// The claim window of a shape's workshop, relative to the benchmark's start (the demo
/// clock moves at most ten years, and no date here can expire). Pool shapes get windows
/// of their own in the future — 60, 70, 80 days from now — so their pools stay empty
/// until the demo clock brings their lead time; the others are open from a day ago for a
/// year.
pub fn window(shape: Shape) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = *BENCH_START;
    let index = match shape {
        Shape::PoolPaced => 1,
        Shape::PoolBurst => 2,
        Shape::PoolOutage => 3,
        _ => {
            return (
                start - chrono::Duration::days(1),
                start + chrono::Duration::days(365),
            )
        }
    };
    let open = start + chrono::Duration::days(50 + 10 * index);
    (open, open + chrono::Duration::hours(8))
}

/// When the benchmark started, to the second: every window is computed from it, so the
/// workshop files and the clock moves agree.
static BENCH_START: LazyLock<DateTime<Utc>> = LazyLock::new(|| {
    let now = Utc::now();
    Utc.timestamp_opt(now.timestamp(), 0)
        .single()
        .unwrap_or(now)
});

pub struct Server<'a> {
    pub http: &'a reqwest::Client,
    pub base_url: &'a str,
    pub simulator_url: &'a str,
    /// The organiser's session cookie: the pool's figures come from the admin page.
    pub organiser: &'a str,
}

/// What filling the pool took.
pub struct Filled {
    pub keys: i64,
    pub wall: Duration,
}

/// What the close did.
pub struct Closed {
    pub deleted: i64,
    pub wall: Duration,
}

impl Server<'_> {
    /// Moves the workshop calendar so that "now" is `at`.
    pub async fn set_clock(&self, at: DateTime<Utc>) -> Result<()> {
        let offset = (at - Utc::now()).num_seconds();
        let response = self
            .http
            .post(format!("{}/_demo/clock", self.base_url))
            .json(&serde_json::json!({ "offset_secs": offset }))
            .send()
            .await
            .context("cannot move the demo clock")?;
        if !response.status().is_success() {
            bail!("moving the demo clock answered {}", response.status());
        }
        Ok(())
    }

    async fn pool(&self, slug: &str) -> Result<Value> {
        let page = call_json(
            self.http,
            self.base_url,
            self.organiser,
            "get_admin_workshop",
            &[("slug", slug)],
        )
        .await?;
        Ok(page["pool"].clone())
    }

    /// Ten minutes before the opening (inside the default 30-minute lead time), then
    /// waits until the pool is at its target with every key bound.
    pub async fn fill(&self, slug: &str, opens: DateTime<Utc>) -> Result<Filled> {
        self.set_clock(opens - chrono::Duration::minutes(10))
            .await?;
        let started = Instant::now();
        let pool = self
            .wait_for(slug, "the pool to fill", |pool| {
                pool["target"].as_i64().unwrap_or(0) > 0
                    && pool["ready"] == pool["target"]
                    && pool["minting"] == 0
            })
            .await?;
        Ok(Filled {
            keys: pool["ready"].as_i64().unwrap_or(0),
            wall: started.elapsed(),
        })
    }

    /// Past the close: waits until the unclaimed keys are deleted and every handed-out
    /// key carries its attendee's name (no key with the pool's prefix is left).
    pub async fn close(&self, slug: &str, closes: DateTime<Utc>) -> Result<Closed> {
        self.set_clock(closes + chrono::Duration::seconds(5))
            .await?;
        let started = Instant::now();
        let prefix = format!("workshop-{slug}-pool-");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let pool = self.pool(slug).await?;
            let state = simulator::fetch_state(self.http, self.simulator_url).await?;
            let left = state.keys_named_with(&prefix);
            if let (Some(deleted), 0) = (pool["deleted_at_close"].as_i64(), left) {
                return Ok(Closed {
                    deleted,
                    wall: started.elapsed(),
                });
            }
            if Instant::now() > deadline {
                bail!("the pool of {slug} was not closed within {PATIENCE:?}: {pool}, {left} pool keys left");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn wait_for(
        &self,
        slug: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Result<Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let pool = self.pool(slug).await?;
            if done(&pool) {
                return Ok(pool);
            }
            if Instant::now() > deadline {
                bail!("waited {PATIENCE:?} for {what} of {slug}: {pool}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Every OpenRouter call answers 503 from now on (until [`Self::end_outage`]).
    pub async fn start_outage(&self) -> Result<()> {
        self.simulator_post(
            "/_simulator/outage",
            serde_json::json!({ "kind": "unavailable", "seconds": 3600 }),
        )
        .await
    }

    /// Ends the outage; the simulator's latency stays as it was.
    pub async fn end_outage(&self) -> Result<()> {
        self.simulator_post(
            "/_simulator/outage",
            serde_json::json!({ "kind": "unavailable", "seconds": 0 }),
        )
        .await
    }

    /// `POST /keys` answers 429 with `Retry-After: seconds` from now on (until
    /// [`Self::end_rate_limit`]).
    pub async fn start_rate_limit(&self, seconds: u64) -> Result<()> {
        self.simulator_post(
            "/_simulator/faults",
            serde_json::json!({
                "route": "POST /keys",
                "action": { "kind": "rate_limited", "retry_after_secs": seconds },
            }),
        )
        .await
    }

    /// Takes every injected fault away.
    pub async fn end_rate_limit(&self) -> Result<()> {
        let response = self
            .http
            .delete(format!("{}/_simulator/faults", self.simulator_url))
            .bearer_auth(DEMO_MANAGEMENT_KEY)
            .send()
            .await
            .context("cannot reach the simulator's /_simulator/faults")?;
        if !response.status().is_success() {
            bail!(
                "the simulator's DELETE /_simulator/faults answered {}",
                response.status()
            );
        }
        Ok(())
    }

    async fn simulator_post(&self, path: &str, body: Value) -> Result<()> {
        let response = self
            .http
            .post(format!("{}{path}", self.simulator_url))
            .bearer_auth(DEMO_MANAGEMENT_KEY)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("cannot reach the simulator's {path}"))?;
        if !response.status().is_success() {
            bail!("the simulator's {path} answered {}", response.status());
        }
        Ok(())
    }

    /// After an outage or a rate limit without a pool: waits until the server, on its
    /// own, has given a key to every place it kept. Returns how long that took.
    pub async fn wait_for_kept_places(&self, slug: &str, places: usize) -> Result<Duration> {
        let started = Instant::now();
        let deadline = started + PATIENCE;
        loop {
            let state = simulator::fetch_state(self.http, self.simulator_url).await?;
            let keys = state.keys_for_workshop(slug);
            if keys >= places {
                return Ok(started.elapsed());
            }
            if Instant::now() > deadline {
                bail!("after the outage only {keys} of {places} kept places got a key within {PATIENCE:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
