//! Step 3 of the claim: the workshop's guardrail `workshop-<slug>` exists on OpenRouter
//! with the workshop file's models and budget, exactly once.
//!
//! - Found or created under the database's guardrail lock, so two server instances (or
//!   two claims) never create two: the second waits and finds the first's record.
//! - A guardrail left by an earlier run whose id was never stored (created, then the
//!   process died) is adopted by name instead of creating another; if several exist
//!   from before, the oldest is adopted. The workspace's default guardrail never matches.
//! - Changes are detected against the settings we *sent* last, not against what
//!   OpenRouter returns (it answers with canonical, dated model slugs), so an unchanged
//!   file costs no call; a changed file is sent with one PATCH.

use serde::Serialize;

use crate::server::db::{Database, EnsureFailure, GuardrailRecord};
use crate::server::openrouter::{
    GuardrailSettings, OpenRouterClient, OpenRouterError, GUARDRAILS_PAGE_SIZE,
};
use crate::server::registry::Workshop;

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
    Database(#[from] crate::server::db::DbError),
}

/// Returns the id of the workshop's guardrail, creating or updating it when needed.
pub async fn ensure_guardrail(
    database: &Database,
    client: &OpenRouterClient,
    workshop: &Workshop,
    now: i64,
) -> Result<String, EnsureGuardrailError> {
    let wanted = settings_for(workshop);
    let wanted_json = canonical_json(&wanted);
    let record = database
        .ensure_guardrail(&workshop.slug, now, |current| async move {
            match current {
                Some(record) if record.settings_sent == wanted_json => Ok(record),
                Some(record) => {
                    client.update_guardrail(&record.guardrail_id, &wanted).await?;
                    tracing::info!(slug = %workshop.slug, id = %record.guardrail_id, "guardrail updated to match the workshop file");
                    Ok(GuardrailRecord { guardrail_id: record.guardrail_id, settings_sent: wanted_json })
                }
                None => {
                    let id = match find_by_name(client, &wanted.name).await? {
                        Some(id) => {
                            // We do not know what it was given: make it match the file.
                            client.update_guardrail(&id, &wanted).await?;
                            tracing::info!(slug = %workshop.slug, %id, "adopted an existing guardrail");
                            id
                        }
                        None => {
                            let created = client.create_guardrail(&wanted).await?;
                            tracing::info!(slug = %workshop.slug, id = %created.id, "guardrail created");
                            created.id
                        }
                    };
                    Ok::<_, EnsureGuardrailError>(GuardrailRecord { guardrail_id: id, settings_sent: wanted_json })
                }
            }
        })
        .await
        .map_err(|failure| match failure {
            EnsureFailure::Database(error) => EnsureGuardrailError::Database(error),
            EnsureFailure::Step(error) => error,
        })?;
    Ok(record.guardrail_id)
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
