//! Firing claims (`POST /api/claim_key`) in the two shapes and timing each one.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE};
use reqwest::StatusCode;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::attendees::Attendee;
use crate::reference::ReferenceClaimer;

/// Far above any sane claim; only there so a hung request ends the run with a finding
/// instead of never ending it.
const CLAIM_TIMEOUT: Duration = Duration::from_secs(300);

/// Where and for which workshop claims go; shared by every claim of a shape.
pub enum ClaimTarget {
    /// `POST /api/claim_key` on our server.
    Server {
        http: reqwest::Client,
        url: String,
        slug: String,
    },
    /// The reference design's three calls, straight to the simulator.
    Reference(ReferenceClaimer),
}

pub enum ClaimResult {
    /// The plaintext key the attendee received.
    Key(String),
    Failed {
        /// What is counted: `HTTP 409`, `timeout`, `connection error`, …
        reason: String,
        /// Who, and the first part of the answer, to show one example per reason.
        detail: String,
    },
}

pub struct ClaimOutcome {
    pub latency: Duration,
    pub result: ClaimResult,
}

pub struct ShapeRun {
    /// In attendee order.
    pub outcomes: Vec<ClaimOutcome>,
    /// From the first claim sent to the last answer received.
    pub wall: Duration,
}

impl ShapeRun {
    /// Claims that failed with this reason (`HTTP 503`, …).
    pub fn refused_with(&self, reason: &str) -> usize {
        self.outcomes
            .iter()
            .filter(|outcome| {
                matches!(&outcome.result, ClaimResult::Failed { reason: r, .. } if r == reason)
            })
            .count()
    }
}

/// Every claim at the same moment: the worst case for contention.
pub async fn fire_burst(target: Arc<ClaimTarget>, attendees: &[Attendee]) -> Result<ShapeRun> {
    let started = Instant::now();
    let mut claims = JoinSet::new();
    for (index, attendee) in attendees.iter().enumerate() {
        claims.spawn(claim(Arc::clone(&target), index, attendee.clone()));
    }
    collect(claims, attendees.len(), started).await
}

/// Claim `i` is sent at `start + i / rate`, on a fixed schedule rather than after the
/// previous answer, so slow answers pile up the way they would in a real room.
pub async fn fire_paced(
    target: Arc<ClaimTarget>,
    attendees: &[Attendee],
    rate_per_second: f64,
) -> Result<ShapeRun> {
    let started = Instant::now();
    let mut claims = JoinSet::new();
    for (index, attendee) in attendees.iter().enumerate() {
        tokio::time::sleep_until(started + Duration::from_secs_f64(index as f64 / rate_per_second))
            .await;
        claims.spawn(claim(Arc::clone(&target), index, attendee.clone()));
    }
    collect(claims, attendees.len(), started).await
}

async fn collect(
    mut claims: JoinSet<(usize, ClaimOutcome)>,
    count: usize,
    started: Instant,
) -> Result<ShapeRun> {
    let mut outcomes: Vec<Option<ClaimOutcome>> = (0..count).map(|_| None).collect();
    while let Some(joined) = claims.join_next().await {
        let (index, outcome) = joined.context("a claim task panicked")?;
        outcomes[index] = Some(outcome);
    }
    let wall = started.elapsed();
    Ok(ShapeRun {
        outcomes: outcomes.into_iter().flatten().collect(),
        wall,
    })
}

async fn claim(
    target: Arc<ClaimTarget>,
    index: usize,
    attendee: Attendee,
) -> (usize, ClaimOutcome) {
    let sent = Instant::now();
    let result = match target.as_ref() {
        ClaimTarget::Server { http, url, slug } => {
            send_claim(http, url, slug, &attendee.cookie).await
        }
        ClaimTarget::Reference(reference) => match reference.claim(index).await {
            Ok(key) => ClaimResult::Key(key),
            Err(error) => {
                let message = format!("{error:#}");
                let reason = match message.starts_with("HTTP ") {
                    true => message.chars().take(8).collect(),
                    false => "connection error".to_string(),
                };
                failed(reason, &message)
            }
        },
    };
    let latency = sent.elapsed();
    let result = match result {
        ClaimResult::Failed { reason, detail } => ClaimResult::Failed {
            reason,
            detail: format!("{}: {detail}", attendee.email),
        },
        key => key,
    };
    (index, ClaimOutcome { latency, result })
}

async fn send_claim(http: &reqwest::Client, url: &str, slug: &str, cookie: &str) -> ClaimResult {
    let response = http
        .post(url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        // Without it a server function may treat the post as a no-JS form submission
        // and redirect instead of answering JSON.
        .header(ACCEPT, "application/json")
        .header(COOKIE, cookie)
        .body(format!("slug={slug}"))
        .timeout(CLAIM_TIMEOUT)
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(error) => return transport_failure(&error),
    };
    let status = response.status();
    let body = match response.text().await {
        Ok(body) => body,
        Err(error) => return transport_failure(&error),
    };
    if status != StatusCode::OK {
        return failed(format!("HTTP {}", status.as_u16()), &body);
    }
    match plaintext_key(&body) {
        Some(key) => ClaimResult::Key(key),
        None => failed("200 without a key".into(), &body),
    }
}

fn plaintext_key(body: &str) -> Option<String> {
    let answer: serde_json::Value = serde_json::from_str(body).ok()?;
    let key = answer.get("key")?.as_str()?;
    (!key.is_empty()).then(|| key.to_string())
}

fn transport_failure(error: &reqwest::Error) -> ClaimResult {
    let reason = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection refused"
    } else {
        "connection error"
    };
    failed(reason.into(), &with_causes(error))
}

/// reqwest's own message is often just "error sending request"; the cause is below it.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}

fn failed(reason: String, detail: &str) -> ClaimResult {
    ClaimResult::Failed {
        reason,
        detail: detail.chars().take(300).collect(),
    }
}
