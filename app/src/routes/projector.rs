//! `/w/<slug>/qr`: the page for the host's screen. The workshop's title, a large QR code
//! of the claim URL, the URL in large type for those who type, and live figures — keys
//! claimed, places left, budget committed — that update without a reload while claims
//! are open. No key, email or name of any attendee is on it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::claims::get_workshop_figures;
use crate::api::workshops::get_projector;
use crate::components::error_notice::ErrorNotice;
use crate::components::qr_code::QrCode;
use crate::components::response_status::set_response_status;
use wire::error::AppError;
use wire::model::{Projector, WorkshopFigures, WorkshopState};

/// How often the figures are asked again while claims are open.
const FIGURES_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

#[component]
pub fn ProjectorPage() -> impl IntoView {
    let params = use_params_map();
    let projector: Resource<Result<Projector, AppError>> = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_projector,
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match projector.await {
                    Ok(projector) => view! { <ProjectorView projector /> }.into_any(),
                    Err(error) => {
                        set_response_status(error.status_code());
                        view! { <ErrorNotice error /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProjectorView(projector: Projector) -> impl IntoView {
    let state_words = match projector.workshop.state {
        WorkshopState::Upcoming => "Claims open soon: scan now, the page counts down.",
        WorkshopState::Open => "Scan to get your OpenRouter key.",
        WorkshopState::Closed => "Claims are closed.",
    };
    view! {
        <Title text=format!("{} — scan for your key", projector.workshop.title) />
        <article class="projector" data-slug=projector.workshop.slug.clone()>
            <h1>{projector.workshop.title.clone()}</h1>
            <p class="projector-lead">{state_words}</p>
            <div class="projector-code">
                <QrCode matrix=projector.qr.clone() label=format!("QR code for {}", projector.claim_url) />
            </div>
            <p class="projector-url"><a href=projector.claim_url.clone()>{projector.short_url.clone()}</a></p>
            <Figures
                slug=projector.workshop.slug.clone()
                figures=projector.figures
                live=projector.workshop.state == WorkshopState::Open
            />
        </article>
    }
}

/// The room's figures; while claims are open (`live`), asked again every 5 s. A lazy
/// island: the projector's code never reaches an attendee's phone.
#[island(lazy)]
fn Figures(slug: String, figures: WorkshopFigures, live: bool) -> impl IntoView {
    let figures = RwSignal::new(figures);
    if live {
        Effect::new(move |_| {
            let slug = slug.clone();
            let handle = set_interval_with_handle(
                move || {
                    let slug = slug.clone();
                    leptos::task::spawn_local(async move {
                        if let Ok(fresh) = get_workshop_figures(slug).await {
                            figures.set(fresh);
                        }
                    });
                },
                FIGURES_EVERY,
            );
            if let Ok(handle) = handle {
                on_cleanup(move || handle.clear());
            }
        });
    }
    view! {
        <dl class="projector-figures" aria-live="polite">
            <div>
                <dt>"Keys claimed"</dt>
                <dd data-figure="claimed">{move || figures.get().claimed}</dd>
            </div>
            {move || figures.get().places_left().map(|left| view! {
                <div>
                    <dt>"Places left"</dt>
                    <dd data-figure="places-left">{left}</dd>
                </div>
            })}
            <div>
                <dt>"Budget committed"</dt>
                <dd data-figure="committed">{move || format!("{} of {}", figures.get().committed, figures.get().limit)}</dd>
            </div>
        </dl>
    }
}
