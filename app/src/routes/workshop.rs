//! `/w/<slug>`: a workshop's page, where an attendee gets from the shared link to a
//! copied, working key. Rendered on the server from one call (`get_claim_page`); what
//! reacts on it is the claim area (`ClaimArea`'s islands), the time-zone switch and the
//! times.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::claims::get_claim_page;
use crate::components::claim_area::ClaimArea;
use crate::components::error_notice::ErrorNotice;
use crate::components::live_region::LiveRegion;
use crate::components::response_status::set_response_status;
use crate::components::time_zone::{TimeText, TimeZoneToggle};
use wire::model::{ClaimPage, WorkshopState};

#[component]
pub fn WorkshopPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_claim_page,
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <WorkshopView page /> }.into_any(),
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
        </Suspense>
    }
}

#[component]
fn WorkshopView(page: ClaimPage) -> impl IntoView {
    let workshop = page.workshop.clone();
    let qr_href = format!("/w/{}/qr", workshop.slug);
    view! {
        <Title text=format!("{} — Workshop Key Minter", workshop.title) />
        <LiveRegion />
        <article class="workshop" data-slug=workshop.slug.clone() data-workshop-state=workshop.state.as_str()>
            <header class="workshop-header">
                <span class=workshop.state.css_class()>{workshop.state.label()}</span>
                <h1>{workshop.title.clone()}</h1>
                {workshop.description.clone().map(|text| view! { <p class="lead">{text}</p> })}
            </header>
            <ClaimArea page=page.clone() />
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
