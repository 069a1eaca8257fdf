//! The claim on a workshop page, for a signed-in attendee: a button while they have no
//! key, their key once they do. A plain form, so it also works before hydration.
//!
//! The claim action and the "my key" resource are created by the page itself, at the
//! top, not inside a suspended branch: a resource first created inside another's
//! `Suspend` is not found again during hydration.

use leptos::prelude::*;

use crate::api::claims::{my_claim, ClaimKey, MyKey};
use crate::components::time_zone::TimeText;
use crate::error::AppError;

/// The page-level state of a claim.
#[derive(Clone, Copy)]
pub struct ClaimState {
    pub action: ServerAction<ClaimKey>,
    /// The caller's key (`None` when signed out or not claimed yet), refetched after
    /// every claim.
    pub mine: Resource<Result<Option<MyKey>, AppError>>,
}

impl ClaimState {
    /// The fetcher awaits nothing but its own call: awaiting another resource inside a
    /// fetcher can stall server rendering.
    pub fn new(slug: Signal<String>) -> Self {
        let action = ServerAction::<ClaimKey>::new();
        let mine = Resource::new(
            move || (slug.get(), action.version().get()),
            move |(slug, _)| my_claim(slug),
        );
        ClaimState { action, mine }
    }
}

#[component]
pub fn ClaimPanel(slug: String, state: ClaimState) -> impl IntoView {
    let ClaimState { action, mine } = state;
    let pending = action.pending();
    let refused = move || match action.value().get() {
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
                                <ActionForm action>
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
                <dd><TimeText time=key.expires /></dd>
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
