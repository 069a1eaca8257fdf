//! What the server counts and times for Prometheus, named in one place. Recording is
//! free until the server installs an exporter (`METRICS_ADDR`); `server/src/metrics.rs`
//! serves them and sets the gauges read at scrape time.
//!
//! Labels have small, fixed sets of values — route templates, workshop slugs, outcome
//! names, status codes — never a key, an email or a user.

use std::time::Duration;

pub const HTTP_REQUESTS: &str = "wkm_http_requests_total";
pub const HTTP_DURATION: &str = "wkm_http_request_duration_seconds";
pub const CLAIMS: &str = "wkm_claims_total";
pub const CLAIM_DURATION: &str = "wkm_claim_duration_seconds";
pub const OPENROUTER_REQUESTS: &str = "wkm_openrouter_requests_total";
pub const OPENROUTER_DURATION: &str = "wkm_openrouter_request_duration_seconds";
pub const BREAKER_OPEN: &str = "wkm_openrouter_breaker_open";
pub const POOL_READY: &str = "wkm_key_pool_ready";
pub const POOL_TARGET: &str = "wkm_key_pool_target";
pub const UNBOUND_KEYS: &str = "wkm_unbound_keys";
pub const USAGE_SYNCED_AT: &str = "wkm_usage_synced_at_seconds";
pub const LEASE_HELD: &str = "wkm_background_lease_held";

/// How a claim ended, as `wkm_claims_total{outcome}` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// A key from the warm pool.
    Pool,
    /// A key minted for this claim (or for a place kept earlier).
    Minted,
    /// The attendee already had their key.
    Existing,
    /// No key yet, the place kept (OpenRouter down or rate-limiting; another tab
    /// minting): the server finishes it.
    Kept,
    /// Refused: window, domain, places, budget, another sign-in's mailbox.
    Refused,
    /// Our own failure (database, a crashed task).
    Failed,
}

impl ClaimOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimOutcome::Pool => "pool",
            ClaimOutcome::Minted => "minted",
            ClaimOutcome::Existing => "existing",
            ClaimOutcome::Kept => "kept",
            ClaimOutcome::Refused => "refused",
            ClaimOutcome::Failed => "failed",
        }
    }
}

pub fn record_claim(workshop: &str, outcome: ClaimOutcome, took: Duration) {
    metrics::counter!(CLAIMS, "workshop" => workshop.to_string(), "outcome" => outcome.as_str())
        .increment(1);
    metrics::histogram!(CLAIM_DURATION, "workshop" => workshop.to_string())
        .record(took.as_secs_f64());
}

/// One OpenRouter call: `route` a template (`PATCH /keys/{hash}`), `status` its HTTP
/// status or what happened instead (`timeout`, `transport`, `decode`, `refused`).
pub fn record_openrouter_call(route: &str, status: &str, took: Duration) {
    metrics::counter!(OPENROUTER_REQUESTS, "route" => route.to_string(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(OPENROUTER_DURATION, "route" => route.to_string())
        .record(took.as_secs_f64());
}

/// `/keys/abc…/` → `/keys/{hash}`, `/guardrails/<id>/assignments/keys` →
/// `/guardrails/{id}/assignments/keys`: the path as the spec names it.
pub fn openrouter_route_template(path: &str) -> String {
    let mut template = Vec::new();
    let mut previous = "";
    for segment in path.split('/') {
        let placeholder = match previous {
            "keys" if !segment.is_empty() && segment != "remove" => Some("{hash}"),
            "guardrails" if !segment.is_empty() && segment != "assignments" => Some("{id}"),
            _ => None,
        };
        template.push(placeholder.unwrap_or(segment));
        previous = segment;
    }
    template.join("/")
}

#[cfg(test)]
mod tests {
    use super::openrouter_route_template;

    #[test]
    fn paths_become_the_specs_templates() {
        for (path, template) in [
            ("/keys", "/keys"),
            ("/key", "/key"),
            ("/keys/0a1b2c", "/keys/{hash}"),
            ("/guardrails", "/guardrails"),
            ("/guardrails/5c2e90e8", "/guardrails/{id}"),
            (
                "/guardrails/5c2e/assignments/keys",
                "/guardrails/{id}/assignments/keys",
            ),
            (
                "/guardrails/5c2e/assignments/keys/remove",
                "/guardrails/{id}/assignments/keys/remove",
            ),
            (
                "/guardrails/assignments/keys",
                "/guardrails/assignments/keys",
            ),
        ] {
            assert_eq!(openrouter_route_template(path), template, "{path}");
        }
    }
}
