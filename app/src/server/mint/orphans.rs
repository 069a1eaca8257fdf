//! Step 6 of the claim: keys OpenRouter holds under a row's name whose plaintext we never
//! stored (the answer to `POST /keys` was lost, or the process died before storing it).
//! They are deleted, so no key exists that nobody can see or account for.

use crate::server::openrouter::{KeyUpdate, OpenRouterClient, OpenRouterError, KEYS_PAGE_SIZE};

/// Deletes every key called `name`, disabled ones included. Returns how many.
pub async fn remove_keys_named(
    client: &OpenRouterClient,
    name: &str,
) -> Result<usize, OpenRouterError> {
    let mut found = Vec::new();
    let mut offset = 0;
    loop {
        let page = client.list_keys(offset, true).await?;
        let count = page.len();
        found.extend(
            page.into_iter()
                .filter(|key| key.name == name)
                .map(|key| key.hash),
        );
        offset += count;
        if count < KEYS_PAGE_SIZE {
            break;
        }
    }
    for hash in &found {
        client.delete_key(hash).await?;
        tracing::warn!(key_name = %name, "removed a key whose plaintext was never stored");
    }
    Ok(found.len())
}

/// Removes one key we created but may not keep; disables it if deleting fails, and logs
/// (the row's name lets a later recovery find it) if both fail.
pub async fn remove_key(client: &OpenRouterClient, hash: &str) {
    if client.delete_key(hash).await.is_ok() {
        return;
    }
    let disable = KeyUpdate {
        disabled: Some(true),
        ..KeyUpdate::default()
    };
    if let Err(error) = client.update_key(hash, &disable).await {
        tracing::error!(%error, "could not delete or disable a surplus key");
    }
}
