//! The claim on a workshop page, for a signed-in attendee: a button while they have no
//! key, their key once they do. A plain form, so it also works before hydration.

use leptos::prelude::*;

use crate::api::claims::{my_claim, ClaimKey, MyKey};
use crate::error::AppError;

#[component]
pub fn ClaimPanel(slug: String) -> impl IntoView {
    let claim = ServerAction::<ClaimKey>::new();
    let mine = {
        let slug = slug.clone();
        Resource::new(
            move || claim.version().get(),
            move |_| my_claim(slug.clone()),
        )
    };
    let pending = claim.pending();
    let refused = move || match claim.value().get() {
        Some(Err(error)) => Some(view! { <ClaimRefused error /> }),
        _ => None,
    };
    view! {
        <Suspense fallback=|| view! { <p class="claim">"Looking for your key…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match mine.await {
                        Ok(Some(key)) => view! { <KeyCard key /> }.into_any(),
                        Ok(None) => view! {
                            <div class="claim">
                                <ActionForm action=claim>
                                    <input type="hidden" name="slug" value=slug />
                                    <button type="submit" class="button" disabled=move || pending.get()>
                                        {move || if pending.get() { "Claiming…" } else { "Claim my key" }}
                                    </button>
                                </ActionForm>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ClaimRefused error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
        {refused}
    }
}

#[component]
fn KeyCard(key: MyKey) -> impl IntoView {
    let expires = chrono::DateTime::from_timestamp(key.expires_at, 0)
        .map(|time| time.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    view! {
        <section class="claim key-card" data-bound=key.bound.to_string()>
            <h2>"Your OpenRouter key"</h2>
            <p><code class="api-key">{key.key}</code></p>
            <dl class="facts">
                <dt>"Budget"</dt>
                <dd>{key.limit.to_string()}</dd>
                <dt>"Spent"</dt>
                <dd>{key.usage.map(|usage| usage.to_string()).unwrap_or_else(|| "not synced yet".into())}</dd>
                <dt>"Expires"</dt>
                <dd>{expires}</dd>
            </dl>
            {(!key.bound).then(|| view! {
                <p class="notice">"Your key works. Its model list is still being applied and will be shortly."</p>
            })}
        </section>
    }
}

#[component]
fn ClaimRefused(error: AppError) -> impl IntoView {
    view! { <p class="notice notice-error claim-refused" role="alert">{error.to_string()}</p> }
}
