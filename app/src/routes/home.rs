//! `/`: every workshop with its state and claim window, open ones first.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::workshops::list_workshops;
use crate::components::error_notice::ErrorNotice;
use crate::components::time_zone::{TimeText, TimeZoneToggle};
use wire::error::AppError;
use wire::model::{WorkshopState, WorkshopSummary};

/// Every workshop with its state and claim window.
#[component]
pub fn HomePage() -> impl IntoView {
    let workshops: Resource<Result<Vec<WorkshopSummary>, AppError>> =
        Resource::new(|| (), |_| list_workshops());
    view! {
        <Title text="Workshops — Workshop Key Minter" />
        <h1>"Workshops"</h1>
        <p class="lead">
            "Pick your workshop, sign in, and claim your personal OpenRouter key in under a minute."
        </p>
        <TimeZoneToggle workshop_zone="each workshop's own".to_string() />
        <Suspense fallback=|| view! { <p>"Loading workshops…"</p> }>
            {move || Suspend::new(async move {
                match workshops.await {
                    Ok(list) if list.is_empty() => view! { <p>"No workshops yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="workshop-list">
                            {list.into_iter().map(|workshop| view! { <WorkshopCard workshop /> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn WorkshopCard(workshop: WorkshopSummary) -> impl IntoView {
    let window = match workshop.state {
        WorkshopState::Upcoming => "Claims open",
        WorkshopState::Open => "Claims close",
        WorkshopState::Closed => "Claims closed",
    };
    let when = match workshop.state {
        WorkshopState::Upcoming => workshop.claims_open_at.clone(),
        _ => workshop.claims_close_at.clone(),
    };
    view! {
        <li class="workshop-card" data-slug=workshop.slug.clone()>
            <a href=format!("/w/{}", workshop.slug)>
                <span class=workshop.state.css_class()>{workshop.state.label()}</span>
                <h2>{workshop.title.clone()}</h2>
            </a>
            <p class="when">{window} " " <TimeText time=when /> <span class="zone">" · " {workshop.timezone.clone()}</span></p>
        </li>
    }
}
