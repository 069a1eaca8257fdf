//! What the server asked of OpenRouter, read from the demo simulator's non-spec
//! `GET /_simulator/state` route.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Deserialize;

/// The simulator's management key in demo mode (a constant, not a secret).
pub const DEMO_MANAGEMENT_KEY: &str = "sk-or-v1-demo-simulator";

#[derive(Debug, Deserialize)]
pub struct SimulatorState {
    keys: Vec<SimulatedKey>,
    /// Route template (e.g. `POST /keys`) → calls so far.
    calls: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
struct SimulatedKey {
    name: String,
}

pub async fn fetch_state(http: &reqwest::Client, simulator_url: &str) -> Result<SimulatorState> {
    let url = format!("{simulator_url}/_simulator/state");
    let response = http
        .get(&url)
        .bearer_auth(DEMO_MANAGEMENT_KEY)
        .send()
        .await
        .with_context(|| {
            format!("cannot reach the simulator at {url}; is the server in demo mode?")
        })?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        anyhow::bail!("the simulator answered {status} to {url}: {body}");
    }
    response
        .json()
        .await
        .with_context(|| format!("the simulator's answer to {url} is not the expected state"))
}

impl SimulatorState {
    /// How many keys exist whose name mentions `slug` (the server names keys after
    /// their workshop).
    pub fn keys_for_workshop(&self, slug: &str) -> usize {
        self.keys
            .iter()
            .filter(|key| key.name.contains(slug))
            .count()
    }

    /// How many keys exist whose name starts with `prefix`.
    pub fn keys_named_with(&self, prefix: &str) -> usize {
        self.keys
            .iter()
            .filter(|key| key.name.starts_with(prefix))
            .count()
    }

    /// Calls per route made since `earlier`, leaving out routes that were not called.
    pub fn calls_since(&self, earlier: &SimulatorState) -> BTreeMap<String, u64> {
        self.calls
            .iter()
            .map(|(route, &now)| {
                let before = earlier.calls.get(route).copied().unwrap_or(0);
                (route.clone(), now.saturating_sub(before))
            })
            .filter(|&(_, count)| count > 0)
            .collect()
    }
}
