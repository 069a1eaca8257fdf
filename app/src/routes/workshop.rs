use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::workshops::get_workshop;
use crate::components::claim_panel::{ClaimPanel, ClaimState};
use crate::components::error_notice::ErrorNotice;
use crate::components::layout::{sign_in_href, use_site_info};
use crate::components::time_zone::{provide_viewer_zone, TimeText, TimeZoneToggle};
use crate::model::{WorkshopState, WorkshopSummary};

/// `/w/<slug>`: what the workshop offers and, for a signed-in attendee, the claim.
#[component]
pub fn WorkshopPage() -> impl IntoView {
    provide_viewer_zone();
    let params = use_params_map();
    let slug = Signal::derive(move || params.read().get("slug").unwrap_or_default());
    let workshop = Resource::new(move || slug.get(), get_workshop);
    let claim = ClaimState::new(slug);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match workshop.await {
                    Ok(workshop) => view! { <WorkshopDetails workshop claim /> }.into_any(),
                    Err(error) => view! {
                        <Title text="Not found — Workshop Key Minter" />
                        <ErrorNotice error />
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn WorkshopDetails(workshop: WorkshopSummary, claim: ClaimState) -> impl IntoView {
    let window_note = match workshop.state {
        WorkshopState::Upcoming => "Claims are not open yet. Come back when they open.",
        WorkshopState::Open => "Claims are open.",
        WorkshopState::Closed => "Claims are closed for this workshop.",
    };
    view! {
        <Title text=format!("{} — Workshop Key Minter", workshop.title) />
        <article class="workshop" data-slug=workshop.slug.clone()>
            <span class=workshop.state.css_class()>{workshop.state.label()}</span>
            <h1>{workshop.title.clone()}</h1>
            {workshop.description.clone().map(|text| view! { <p class="lead">{text}</p> })}
            <p class="window-note">{window_note}</p>
            {(workshop.state == WorkshopState::Open).then(|| view! { <ClaimCall slug=workshop.slug.clone() claim /> })}
            <TimeZoneToggle workshop_zone=workshop.timezone.clone() />
            <dl class="facts">
                <dt>"Claims open"</dt>
                <dd><TimeText time=workshop.claims_open_at.clone() /></dd>
                <dt>"Claims close"</dt>
                <dd><TimeText time=workshop.claims_close_at.clone() /></dd>
                <dt>"Keys expire"</dt>
                <dd><TimeText time=workshop.key_expires_at.clone() /></dd>
                <dt>"Budget per key"</dt>
                <dd>{workshop.key_limit.to_string()}</dd>
                <dt>"Models"</dt>
                <dd>
                    <ul class="models">
                        {workshop.allowed_models.iter().map(|model| view! { <li><code>{model.clone()}</code></li> }).collect_view()}
                    </ul>
                </dd>
            </dl>
        </article>
    }
}

/// What an attendee can do next on an open workshop: sign in first, or (signed in)
/// claim their key.
#[component]
fn ClaimCall(slug: String, claim: ClaimState) -> impl IntoView {
    let site = use_site_info();
    let here = format!("/w/{slug}");
    let slug = StoredValue::new(slug);
    view! {
        <Suspense>
            {move || {
                let here = here.clone();
                Suspend::new(async move {
                    match site.await.ok().and_then(|info| info.user) {
                        Some(user) => view! {
                            <div class="claim-call" data-signed-in="true">
                                <p>"Signed in as " <strong>{user.email}</strong> "."</p>
                                <ClaimPanel slug=slug.get_value() state=claim />
                            </div>
                        }.into_any(),
                        None => view! {
                            <p class="claim-call" data-signed-in="false">
                                <a class="button" href=sign_in_href(&here)>"Sign in to claim your key"</a>
                            </p>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
