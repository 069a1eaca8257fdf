//! `/admin`: the workshops the signed-in person organises (global admins: all), each
//! with its state, places, budget committed and spent against the cap, the keys that
//! need a look, and when usage was last synced. Rendered on the server only: nothing on
//! it reacts, so it has no island and no code of its own.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::api::admin::list_my_workshops;
use crate::components::admin::figures::{Badges, FigureBars};
use crate::components::error_notice::ErrorNotice;
use crate::components::layout::sign_in_href;
use crate::components::relative_time::relative;
use crate::components::response_status::set_response_status;
use wire::error::AppError;
use wire::model::{AdminOverview, AdminWorkshopCard};

#[component]
pub fn AdminHomePage() -> impl IntoView {
    let workshops: Resource<Result<AdminOverview, AppError>> =
        Resource::new(|| (), |_| list_my_workshops());
    view! {
        <Title text="Your workshops — Workshop Key Minter" />
        <h1>"Your workshops"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match workshops.await {
                    Ok(overview) if overview.workshops.is_empty() => view! {
                        <p class="notice">
                            "You do not organise any workshop. A workshop file names its organisers under "
                            <code>"admins:"</code> "; ask whoever runs this site to add your address."
                        </p>
                    }.into_any(),
                    Ok(overview) => {
                        let now = overview.now;
                        view! {
                            <ul class="admin-list">
                                {overview.workshops.into_iter().map(|card| view! { <AdminCard card now /> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(AppError::Unauthenticated) => view! { <Redirect path=sign_in_href("/admin") /> }.into_any(),
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
fn AdminCard(card: AdminWorkshopCard, now: i64) -> impl IntoView {
    let workshop = card.workshop;
    let synced = card
        .figures
        .last_sync
        .map(|at| format!("usage synced {}", relative(now, at)))
        .unwrap_or_else(|| "usage not synced yet".to_string());
    view! {
        <li class="admin-card" data-slug=workshop.slug.clone()>
            <span class=workshop.state.css_class()>{workshop.state.label()}</span>
            <h2><a href=format!("/admin/{}", workshop.slug)>{workshop.title.clone()}</a></h2>
            <FigureBars figures=card.figures />
            <Badges figures=card.figures />
            <p class="muted">{synced}</p>
        </li>
    }
}
