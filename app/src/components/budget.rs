//! The key's budget: spent against the limit as a bar, what is left, what the organisers
//! topped up, and how fresh the figure is, with a Refresh that asks OpenRouter now (at
//! most every 30 s per key). The page's usual refresh brings a top-up in.

use leptos::prelude::*;

use super::relative_time::{relative, Now};
use crate::api::claims::RefreshMyUsage;
use wire::model::{MyKey, Usd};

#[component]
pub fn Budget(key: MyKey, slug: String, now: Now) -> impl IntoView {
    let refresh = ServerAction::<RefreshMyUsage>::new();
    let pending = refresh.pending();
    let latest = Memo::new(move |_| match refresh.value().get() {
        Some(Ok(fresh)) => fresh,
        _ => key.clone(),
    });
    let spent = Signal::derive(move || latest.get().usage.unwrap_or(Usd::ZERO));
    let limit = Signal::derive(move || latest.get().limit);
    let left = move || {
        let key = latest.get();
        key.remaining
            .unwrap_or(Usd::from_micros(key.limit.micros() - spent.get().micros()))
    };
    let as_of = move || match latest.get().usage_synced_at {
        Some(synced) => format!("as of {}", relative(now.seconds.get(), synced)),
        None => "not synced with OpenRouter yet".to_string(),
    };
    let refused = move || match refresh.value().get() {
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    view! {
        <div class="budget">
            <p class="budget-figures">
                <span><strong>{move || spent.get().to_string()}</strong>" spent of "{move || limit.get().to_string()}</span>
                <span class="budget-left">{move || format!("{} left", left().max(Usd::ZERO))}</span>
            </p>
            <meter
                class="budget-bar"
                min="0"
                max=move || limit.get().micros().to_string()
                value=move || spent.get().micros().min(limit.get().micros()).to_string()
                high=move || (limit.get().micros() / 5 * 4).to_string()
                optimum="0"
                aria-label="Budget spent"
            >
                {move || format!("{} of {}", spent.get(), limit.get())}
            </meter>
            {move || {
                let added = latest.get().topped_up;
                added.is_positive().then(|| view! {
                    <p class="budget-topped-up small">{format!("Includes {added} topped up by the organiser.")}</p>
                })
            }}
            <div class="budget-sync">
                <span class="muted">{as_of}</span>
                <ActionForm action=refresh attr:class="inline">
                    <input type="hidden" name="slug" value=slug />
                    <button type="submit" class="link-button" disabled=move || pending.get()>
                        {move || if pending.get() { "Refreshing…" } else { "Refresh" }}
                    </button>
                </ActionForm>
            </div>
            {move || refused().map(|message| view! { <p class="notice notice-warn" role="alert">{message}</p> })}
        </div>
    }
}
