//! `/w/<slug>`: a workshop's page, where an attendee gets from the shared link to a
//! copied, working key. Everything on it comes from one server call (`get_claim_page`),
//! refetched after a claim, after an opt-in change, and every two seconds while a key is
//! being prepared.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::claims::{get_claim_page, ClaimKey, SetMarketingOptIn};
use crate::browser::focus;
use crate::components::claim_area::{key_card, ClaimActions, ClaimArea, KEY_CARD_ID};
use crate::components::error_notice::ErrorNotice;
use crate::components::live_region::{provide_announcer, LiveRegion};
use crate::components::relative_time::{ticking_now, Now};
use crate::components::response_status::set_response_status;
use crate::components::time_zone::{provide_viewer_zone, TimeText, TimeZoneToggle};
use wire::model::{ClaimPage, ClaimView, WorkshopState};

#[component]
pub fn WorkshopPage() -> impl IntoView {
    provide_viewer_zone();
    let announcer = provide_announcer();
    let params = use_params_map();
    let slug = Signal::derive(move || params.read().get("slug").unwrap_or_default());
    let actions = ClaimActions {
        claim: ServerAction::<ClaimKey>::new(),
        opt_in: ServerAction::<SetMarketingOptIn>::new(),
    };
    let refreshes = RwSignal::new(0u32);
    let page = Resource::new(
        move || {
            (
                slug.get(),
                actions.claim.version().get(),
                actions.opt_in.version().get(),
                refreshes.get(),
            )
        },
        |(slug, ..)| get_claim_page(slug),
    );
    let refetch = Callback::new(move |_| refreshes.update(|count| *count += 1));
    // After a claim in place, focus moves to the key card, and a screen reader hears it.
    let focus_after_claim = RwSignal::new(false);
    Effect::new(move |_| {
        if actions.claim.version().get() > 0 {
            focus_after_claim.set(true);
        }
    });
    Effect::new(move |_| {
        let has_key = matches!(
            page.get(),
            Some(Ok(ClaimPage {
                claim: ClaimView::Key(_),
                ..
            }))
        );
        if has_key && focus_after_claim.get_untracked() {
            focus_after_claim.set(false);
            focus_when_shown(KEY_CARD_ID, 60);
            announcer.say("Your key is ready.");
        }
    });
    view! {
        <LiveRegion />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let now = ticking_now(page.now);
                        // The key card's code is loaded here, with the data, so the page
                        // is hydrated (or shown) once both are in.
                        let key_card = match &page.claim {
                            ClaimView::Key(key) => {
                                Some(key_card(key.clone(), page.workshop.clone(), now).await)
                            }
                            _ => None,
                        };
                        view! { <WorkshopView page actions refetch now key_card /> }.into_any()
                    }
                    Err(error) => {
                        set_response_status(error.status_code());
                        view! {
                            <Title text="Not found — Workshop Key Minter" />
                            <ErrorNotice error />
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Moves focus to element `id` as soon as it is on the page (the key card arrives with
/// its code chunk a moment after the data), trying once per frame, `frames` times.
fn focus_when_shown(id: &'static str, frames: u32) {
    request_animation_frame(move || {
        if !focus(id) && frames > 0 {
            focus_when_shown(id, frames - 1);
        }
    });
}

#[component]
fn WorkshopView(
    page: ClaimPage,
    actions: ClaimActions,
    refetch: Callback<()>,
    now: Now,
    key_card: Option<AnyView>,
) -> impl IntoView {
    let workshop = page.workshop.clone();
    let qr_href = format!("/w/{}/qr", workshop.slug);
    view! {
        <Title text=format!("{} — Workshop Key Minter", workshop.title) />
        <article class="workshop" data-slug=workshop.slug.clone() data-workshop-state=workshop.state.as_str()>
            <header class="workshop-header">
                <span class=workshop.state.css_class()>{workshop.state.label()}</span>
                <h1>{workshop.title.clone()}</h1>
                {workshop.description.clone().map(|text| view! { <p class="lead">{text}</p> })}
            </header>
            <ClaimArea page=page.clone() actions now refetch key_card />
            <section class="workshop-facts" aria-labelledby="facts-title">
                <h2 id="facts-title">"About this workshop"</h2>
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
                {(workshop.state != WorkshopState::Closed).then(|| view! {
                    <p class="hint"><a href=qr_href>"Show this workshop's QR code on the projector"</a></p>
                })}
            </section>
        </article>
    }
}
