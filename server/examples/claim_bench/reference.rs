//! The reference design, for the side-by-side comparison: a claim the way the original
//! brief writes it — per claim, synchronously, three OpenRouter calls in order: look up
//! the workshop's guardrail, create the key, assign it to the guardrail. No pool, no
//! batching, no reservation.
//!
//! It runs inside the benchmark, straight against the same simulator (same latency) the
//! server uses, with no HTTP server and no database in front of it: its figures are the
//! reference's floor, so every ratio printed next to ours is in its favour.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::{SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::simulator::DEMO_MANAGEMENT_KEY;

/// OpenRouter's API lives under this prefix, on the simulator as on openrouter.ai.
const API_PREFIX: &str = "/api/v1";
const TIMEOUT: Duration = Duration::from_secs(300);

pub struct ReferenceClaimer {
    pub http: reqwest::Client,
    pub api: String,
    pub slug: String,
}

#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
struct Guardrail {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct CreatedKey {
    data: KeyHash,
    key: String,
}

#[derive(Deserialize)]
struct KeyHash {
    hash: String,
}

impl ReferenceClaimer {
    pub fn new(http: reqwest::Client, simulator_url: &str, slug: &str) -> Self {
        ReferenceClaimer {
            http,
            api: format!("{simulator_url}{API_PREFIX}"),
            slug: slug.to_string(),
        }
    }

    fn guardrail_name(&self) -> String {
        format!("workshop-{}", self.slug)
    }

    /// Made once before the clock starts, as an instructor's script would on its first
    /// run; otherwise a burst's claims would each find none and create their own.
    pub async fn prepare(&self) -> Result<()> {
        if self.find_guardrail().await?.is_none() {
            let body = json!({
                "name": self.guardrail_name(),
                "allowed_models": ["openai/gpt-4o-mini"],
            });
            let _: serde_json::Value = self
                .call(reqwest::Method::POST, "/guardrails", &body)
                .await?;
        }
        Ok(())
    }

    /// One attendee's claim: lookup, create, assign. Returns the plaintext key.
    pub async fn claim(&self, index: usize) -> Result<String> {
        let guardrail = self
            .find_guardrail()
            .await?
            .context("the workshop's guardrail is gone")?;
        let body = json!({
            "name": format!("workshop-{}-{:04}", self.slug, index + 1),
            "limit": 2.0,
            // OpenRouter takes UTC only, ending in `Z`.
            "expires_at": (Utc::now() + chrono::Duration::days(1))
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        let created: CreatedKey = self.call(reqwest::Method::POST, "/keys", &body).await?;
        let assign = json!({ "key_hashes": [created.data.hash] });
        let path = format!("/guardrails/{}/assignments/keys", guardrail.id);
        let _: serde_json::Value = self.call(reqwest::Method::POST, &path, &assign).await?;
        Ok(created.key)
    }

    async fn find_guardrail(&self) -> Result<Option<Guardrail>> {
        let page: Page<Guardrail> = self
            .call(
                reqwest::Method::GET,
                "/guardrails?offset=0&limit=100",
                &serde_json::Value::Null,
            )
            .await?;
        let name = self.guardrail_name();
        Ok(page
            .data
            .into_iter()
            .find(|guardrail| guardrail.name == name))
    }

    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.api))
            .bearer_auth(DEMO_MANAGEMENT_KEY)
            .timeout(TIMEOUT);
        if !body.is_null() {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!("HTTP {} to {method} {path}: {text}", status.as_u16());
        }
        Ok(response.json().await?)
    }
}
