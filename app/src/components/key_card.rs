//! The key card: the attendee's key, masked by default (shared screens, projectors) with
//! Show and Copy; the base URL and the workshop's models, each copyable; ready-to-run
//! snippets; a `.env` download; the budget; when the key expires; and a plain word on
//! anything wrong with it (unbound, disabled, budget used up, expired).
//!
//! Without JavaScript the key is shown inside a `<details>` and copied by hand; the
//! download is a plain link.

use leptos::prelude::*;

use super::budget::Budget;
use super::copy_button::CopyButton;
use super::relative_time::{relative, Now};
use super::snippet_tabs::SnippetTabs;
use crate::components::time_zone::TimeText;
use wire::model::snippets::OPENROUTER_BASE_URL;
use wire::model::{MyKey, WorkshopState, WorkshopSummary};

/// What the card says about the key, most serious first.
fn health(key: &MyKey) -> &'static str {
    if key.expired {
        "expired"
    } else if key.disabled {
        "disabled"
    } else if key.budget_used_up() {
        "budget-used-up"
    } else if !key.bound {
        "unbound"
    } else {
        "ready"
    }
}

#[component]
pub fn KeyCard(key: MyKey, workshop: WorkshopSummary, now: Now) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let revealed = RwSignal::new(false);
    let masked = key.masked();
    let full = key.key.clone();
    let shown = {
        let (full, masked) = (full.clone(), masked.clone());
        move || {
            if revealed.get() {
                full.clone()
            } else {
                masked.clone()
            }
        }
    };
    let health = health(&key);
    let closed = workshop.state == WorkshopState::Closed;
    let model = workshop.allowed_models.first().cloned().unwrap_or_default();
    let expires_at = key.expires.unix;
    let expiry_words = move || {
        let relation = relative(now.seconds.get(), expires_at);
        if key.expired {
            format!("expired {relation}")
        } else {
            format!("expires {relation}")
        }
    };
    let env_href = format!("/w/{}/key.env", workshop.slug);
    let models = workshop
        .allowed_models
        .iter()
        .enumerate()
        .map(|(index, model)| {
            let id = format!("model-{index}");
            view! {
                <li>
                    <code id=id.clone()>{model.clone()}</code>
                    <CopyButton text=Signal::stored(model.clone()) target=id what=format!("the model name {model}") />
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="key-card" id=super::claim_area::KEY_CARD_ID tabindex="-1" aria-labelledby="key-card-title"
            data-health=health data-bound=key.bound.to_string()>
            <h2 id="key-card-title">"Your OpenRouter key"</h2>
            <KeyNotice health closed expires=key.expires.clone() limit=key.limit.to_string() />
            <div class="key-row">
                <code class="api-key" id="api-key" data-revealed=move || revealed.get().to_string()>{shown}</code>
                <div class="key-actions">
                    <button
                        type="button"
                        class="button button-small button-secondary"
                        aria-pressed=move || revealed.get().to_string()
                        aria-controls="api-key"
                        hidden=move || !hydrated.get()
                        on:click=move |_| revealed.update(|on| *on = !*on)
                    >
                        {move || if revealed.get() { "Hide" } else { "Show" }}
                    </button>
                    <CopyButton text=Signal::stored(full.clone()) target="api-key" what="your key" reveal=revealed />
                </div>
            </div>
            <details class="key-reveal" hidden=move || hydrated.get()>
                <summary>"Show the whole key"</summary>
                <code class="api-key-full">{full.clone()}</code>
            </details>
            <p class="hint">"Masked because screens get shared. Paste it where your code reads an OpenRouter or OpenAI key."</p>

            <dl class="facts key-facts">
                <dt>"Base URL"</dt>
                <dd class="copyable">
                    <code id="base-url">{OPENROUTER_BASE_URL}</code>
                    <CopyButton text=Signal::stored(OPENROUTER_BASE_URL.to_string()) target="base-url" what="the base URL" />
                </dd>
                <dt>"Models"</dt>
                <dd><ul class="models">{models}</ul></dd>
                <dt>"Expires"</dt>
                <dd><TimeText time=key.expires.clone() />" "<span class="muted">"("{expiry_words}")"</span></dd>
            </dl>

            <h3>"Budget"</h3>
            <Budget key=key.clone() slug=workshop.slug.clone() now />

            <h3>"Try it"</h3>
            <SnippetTabs key=full.clone() masked=masked.clone() model revealed=revealed.into() />
            <p>
                <a class="button button-secondary" href=env_href rel="external" download>
                    "Download .env"
                </a>
            </p>
        </section>
    }
}

/// The one sentence that matters most about the key's state, if anything is off.
#[component]
fn KeyNotice(
    health: &'static str,
    closed: bool,
    expires: wire::model::WorkshopTime,
    limit: String,
) -> impl IntoView {
    let (class, words): (&str, Option<String>) = match health {
        "expired" => ("notice notice-warn", Some("This key has expired and no longer works.".into())),
        "disabled" => (
            "notice notice-warn",
            Some("The organiser has disabled this key, so it no longer answers. Ask them if you think that is a mistake.".into()),
        ),
        "budget-used-up" => (
            "notice notice-warn",
            Some(format!("You have used your whole budget of {limit}. The key stops answering; ask the organiser if you need more.")),
        ),
        "unbound" => (
            "notice notice-info",
            Some("Your key works already. Its model restrictions are still being applied; that happens on its own in a moment.".into()),
        ),
        _ if closed => ("notice notice-info", Some("Claims are closed, and your key keeps working until it expires.".into())),
        _ => ("", None),
    };
    let _ = expires;
    words.map(|words| view! { <p class=class data-notice=health>{words}</p> })
}
