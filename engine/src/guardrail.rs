//! Step 3 of the claim: the workshop's guardrail `workshop-<slug>` exists on OpenRouter
//! with the workshop file's models and budget, exactly once.
//!
//! - One instance at a time creates or updates it, holding the `guardrail:<slug>` lease
//!   (a row in `background_leases`, renewed by a heartbeat): no database lock or
//!   transaction is ever held across the OpenRouter calls. Another instance finds the
//!   lease taken and polls for the record the holder stores.
//! - A guardrail left by an earlier run whose id was never stored (created, then the
//!   process died) is adopted by name instead of creating another; if several exist
//!   from before, the oldest is adopted. The workspace's default guardrail never matches.
//! - Changes are detected against the settings we *sent* last, not against what
//!   OpenRouter returns (it answers with canonical, dated model slugs), so an unchanged
//!   file costs no call; a changed file is sent with one PATCH.

mod known;

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::db::{Database, DbError, GuardrailRecord};
use crate::leases::{Finished, Leases};
use crate::openrouter::{
    GuardrailSettings, OpenRouterClient, OpenRouterError, GUARDRAILS_PAGE_SIZE,
};
use crate::registry::Workshop;

pub use known::Guardrails;

/// How long the guardrail lease lasts without its heartbeat.
const LEASE: Duration = Duration::from_secs(20);
/// How long an instance waits for another one that holds the lease.
const WAIT_FOR_HOLDER: Duration = Duration::from_secs(30);

/// The guardrail settings a workshop file asks for.
pub fn settings_for(workshop: &Workshop) -> GuardrailSettings {
    GuardrailSettings {
        name: workshop.guardrail_name(),
        description: Some(format!("Workshop Key Minter: {}", workshop.title)),
        // OpenRouter applies a guardrail budget to each key separately; the workshop-wide
        // cap is enforced by the claim's reservation. This is a second per-key ceiling.
        limit_usd: Some(workshop.limit.as_dollars()),
        reset_interval: Some("monthly".into()),
        allowed_models: workshop.allowed_models.clone(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnsureGuardrailError {
    #[error("OpenRouter: {0}")]
    OpenRouter(#[from] OpenRouterError),
    #[error("database: {0}")]
    Database(#[from] DbError),
    /// Another instance holds the lease and did not finish within the wait.
    #[error("another instance is still preparing the guardrail")]
    Busy,
}

/// Returns the id of the workshop's guardrail, creating or updating it when needed.
/// The `guardrail:<slug>` lease is taken in this instance's `leases`; `now` (UTC seconds)
/// stamps the stored record.
pub async fn ensure_guardrail(
    database: &Database,
    client: &OpenRouterClient,
    workshop: &Workshop,
    leases: &Leases,
    now: i64,
) -> Result<String, EnsureGuardrailError> {
    let wanted = settings_for(workshop);
    let wanted_json = canonical_json(&wanted);
    let lease_name = format!("guardrail:{}", workshop.slug);
    let deadline = Instant::now() + WAIT_FOR_HOLDER;
    let mut pause = Duration::from_millis(50);
    loop {
        if let Some(record) = database.guardrail_record(&workshop.slug).await? {
            if record.settings_sent == wanted_json {
                return Ok(record.guardrail_id);
            }
        }
        let wall = chrono::Utc::now().timestamp();
        let ensured = leases
            .with_lease(&lease_name, wall, LEASE, |_| async {
                let ensured =
                    ensure_under_lease(database, client, workshop, &wanted, &wanted_json, now)
                        .await;
                // Not remembered as done: the record itself says what was applied.
                Finished::incomplete(ensured)
            })
            .await?;
        if let Some(ensured) = ensured {
            return ensured;
        }
        if Instant::now() >= deadline {
            return Err(EnsureGuardrailError::Busy);
        }
        // Polling, because the holder may be another instance.
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

async fn ensure_under_lease(
    database: &Database,
    client: &OpenRouterClient,
    workshop: &Workshop,
    wanted: &GuardrailSettings,
    wanted_json: &str,
    now: i64,
) -> Result<String, EnsureGuardrailError> {
    // Read again under the lease: the previous holder may have just finished.
    let current = database.guardrail_record(&workshop.slug).await?;
    let record = apply(client, workshop, wanted, wanted_json.to_string(), current).await?;
    database
        .store_guardrail_record(&workshop.slug, &record, now)
        .await?;
    Ok(record.guardrail_id)
}

/// The OpenRouter side: nothing when the record matches, one PATCH when the file
/// changed, adoption by name or creation when there is no record.
async fn apply(
    client: &OpenRouterClient,
    workshop: &Workshop,
    wanted: &GuardrailSettings,
    wanted_json: String,
    current: Option<GuardrailRecord>,
) -> Result<GuardrailRecord, EnsureGuardrailError> {
    match current {
        Some(record) if record.settings_sent == wanted_json => Ok(record),
        Some(record) => {
            client
                .update_guardrail(&record.guardrail_id, wanted)
                .await?;
            tracing::info!(slug = %workshop.slug, id = %record.guardrail_id, "guardrail updated to match the workshop file");
            Ok(GuardrailRecord {
                guardrail_id: record.guardrail_id,
                settings_sent: wanted_json,
            })
        }
        None => {
            let id = match find_by_name(client, &wanted.name).await? {
                Some(id) => {
                    // We do not know what it was given: make it match the file.
                    client.update_guardrail(&id, wanted).await?;
                    tracing::info!(slug = %workshop.slug, %id, "adopted an existing guardrail");
                    id
                }
                None => {
                    let created = client.create_guardrail(wanted).await?;
                    tracing::info!(slug = %workshop.slug, id = %created.id, "guardrail created");
                    created.id
                }
            };
            Ok(GuardrailRecord {
                guardrail_id: id,
                settings_sent: wanted_json,
            })
        }
    }
}

/// The oldest guardrail called `name`, paging through the whole list.
async fn find_by_name(
    client: &OpenRouterClient,
    name: &str,
) -> Result<Option<String>, OpenRouterError> {
    let mut offset = 0;
    let mut oldest: Option<(String, String)> = None;
    loop {
        let page = client.list_guardrails(offset, GUARDRAILS_PAGE_SIZE).await?;
        let count = page.guardrails.len();
        for guardrail in page
            .guardrails
            .into_iter()
            .filter(|guardrail| guardrail.name == name)
        {
            let older = oldest
                .as_ref()
                .is_none_or(|(created, _)| guardrail.created_at < *created);
            if older {
                oldest = Some((guardrail.created_at, guardrail.id));
            }
        }
        offset += count;
        if count < GUARDRAILS_PAGE_SIZE || offset as u64 >= page.total_count {
            return Ok(oldest.map(|(_, id)| id));
        }
    }
}

fn canonical_json(settings: &impl Serialize) -> String {
    serde_json::to_string(settings).unwrap_or_default()
}
