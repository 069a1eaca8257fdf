//! `/admin/<slug>`: the live room. The workshop's figures against its caps, its charts,
//! the attendee table (searched, filtered, sorted and paged on the server, 50 rows a
//! page), and the actions that fix or end things, each answered in place: Retry one row,
//! Retry all unbound, Sync usage now, Disable/Enable one key, Top up one key, Top up
//! everyone low (preview, then a run with progress), Disable all keys (typed
//! confirmation), Re-apply the guardrail; CSV exports; in demo mode, simulated activity.
//!
//! Live: while the page is open it asks the server every 3 s for a change mark (a few
//! bytes: row count and last update); only when it moves are figures and table reloaded.
//! Polling rather than server-sent events, because it needs no long-lived connection
//! through proxies, works the same against any instance behind a load balancer (the
//! mark comes from the shared database), and costs one indexed query per open page.
//!
//! The room is a lazy island (`AdminRoom`): attendees never download its code. Without
//! JavaScript every control is a plain form (the table's search and filters a GET
//! form), and the page reloads.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_params_map};

use crate::api::admin::{
    get_admin_workshop, get_change_mark, get_guardrail_drift, list_claims, preview_top_up_low,
};
use crate::components::admin::actions::AdminActions;
use crate::components::admin::charts::Charts;
use crate::components::admin::claims_table::{ClaimsTableView, TableControls};
use crate::components::admin::configuration::Configuration;
use crate::components::admin::page_query::{PageQuery, TableParams};
use crate::components::admin::room::RoomFigures;
use crate::components::admin::toolbar::Toolbar;
use crate::components::admin::top_up::BulkTopUp;
use crate::components::error_notice::ErrorNotice;
use crate::components::layout::sign_in_href;
use crate::components::response_status::set_response_status;
use crate::components::time_zone::TimeText;
use wire::error::AppError;
use wire::model::{AdminWorkshop, ClaimsTable, GuardrailDrift, TopUpPreview, WorkshopState};

/// How often the live page asks whether anything changed.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// What the room loads and does, made when the island is.
struct AdminWorkshopData {
    slug: Signal<String>,
    query: Memo<TableParams>,
    changes: RwSignal<u32>,
    actions: AdminActions,
    /// The page's frame (title, configuration): loaded once, so live updates never
    /// re-render the search form someone is typing in.
    admin: Resource<Result<AdminWorkshop, AppError>>,
    /// The same call, reloaded on every change: figures, badges, charts.
    live: Resource<Result<AdminWorkshop, AppError>>,
    table: Resource<Result<ClaimsTable, AppError>>,
    drift: Resource<Result<GuardrailDrift, AppError>>,
    /// What "Top up everyone low" would do for the amount in the URL (none without one).
    top_up_preview: Resource<Option<Result<TopUpPreview, AppError>>>,
}

/// The page, as the server renders it: the room, for the workshop and query in the URL.
#[component]
pub fn AdminWorkshopPage() -> impl IntoView {
    let slug = use_params_map()
        .read_untracked()
        .get("slug")
        .unwrap_or_default();
    let query = use_location().search.get_untracked();
    view! { <AdminRoom slug query /> }
}

/// The live room, a lazy island: its code (and every admin server function's) comes in
/// chunks of their own, which only an organiser's browser loads. Its data is loaded
/// with the page and handed to the island with it.
#[island(lazy)]
fn AdminRoom(slug: String, query: String) -> impl IntoView {
    let query = PageQuery::provide(query);
    view! { <AdminWorkshopView route=AdminWorkshopData::load(slug, query) /> }
}

impl AdminWorkshopData {
    fn load(slug: String, page_query: PageQuery) -> Self {
        let slug = Signal::stored(slug);
        let query = Memo::new(move |_| page_query.params());
        let changes = RwSignal::new(0u32);
        let actions = AdminActions::new();
        let admin = Resource::new(move || slug.get(), get_admin_workshop);
        let live = Resource::new(
            move || (slug.get(), changes.get(), actions.versions()),
            |(slug, ..)| get_admin_workshop(slug),
        );
        let table = Resource::new(
            move || (slug.get(), query.get(), changes.get(), actions.versions()),
            |(slug, query, ..)| {
                list_claims(
                    slug,
                    Some(query.search),
                    Some(query.status),
                    Some(query.sort),
                    Some(query.page),
                )
            },
        );
        let drift = Resource::new(
            move || (slug.get(), actions.reapply.version().get()),
            |(slug, _)| get_guardrail_drift(slug),
        );
        let top_up_preview = Resource::new(
            move || {
                let amount = query.with(|query| query.top_up.clone());
                (slug.get(), amount, changes.get(), actions.versions())
            },
            |(slug, amount, ..)| async move {
                match amount {
                    Some(amount) => Some(preview_top_up_low(slug, amount).await),
                    None => None,
                }
            },
        );
        AdminWorkshopData {
            slug,
            query,
            changes,
            actions,
            admin,
            live,
            table,
            drift,
            top_up_preview,
        }
    }
}

#[component]
fn AdminWorkshopView(route: AdminWorkshopData) -> impl IntoView {
    let AdminWorkshopData {
        slug,
        query,
        changes,
        actions,
        admin,
        live,
        table,
        drift,
        top_up_preview,
    } = route;
    poll_for_changes(slug, live, changes);
    actions.track_latest();
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match admin.await {
                    Ok(admin) => view! {
                        <AdminRoomView admin live actions table drift query top_up_preview />
                    }.into_any(),
                    Err(AppError::Unauthenticated) => {
                        let here = format!("/admin/{}", slug.get_untracked());
                        view! { <Redirect path=sign_in_href(&here) /> }.into_any()
                    }
                    Err(error) => {
                        set_response_status(error.status_code());
                        view! {
                            <Title text="Not allowed — Workshop Key Minter" />
                            <ErrorNotice error />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Every 3 s, the change mark; when it differs from the mark of the figures on screen,
/// `changes` ticks and the page reloads its figures and table. The baseline is the mark
/// that came with the figures, so a change between rendering and the first poll is not
/// missed. Runs in the browser only.
fn poll_for_changes(
    slug: Signal<String>,
    live: Resource<Result<AdminWorkshop, AppError>>,
    changes: RwSignal<u32>,
) {
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let slug = slug.get_untracked();
                leptos::task::spawn_local(async move {
                    let Ok(mark) = get_change_mark(slug).await else {
                        return;
                    };
                    let shown = live
                        .get_untracked()
                        .and_then(Result::ok)
                        .map(|live| live.mark);
                    // Still loading the last change: wait for it rather than pile up.
                    let moved = shown.is_some_and(|shown| shown != mark);
                    if moved {
                        changes.update(|count| *count += 1);
                    }
                });
            },
            POLL_EVERY,
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
}

#[component]
fn AdminRoomView(
    admin: AdminWorkshop,
    live: Resource<Result<AdminWorkshop, AppError>>,
    actions: AdminActions,
    table: Resource<Result<ClaimsTable, AppError>>,
    drift: Resource<Result<GuardrailDrift, AppError>>,
    query: Memo<TableParams>,
    top_up_preview: Resource<Option<Result<TopUpPreview, AppError>>>,
) -> impl IntoView {
    let workshop = admin.workshop.clone();
    let slug = workshop.slug.clone();
    let table_slug = slug.clone();
    let initial = admin.figures;
    let figures = Signal::derive(move || {
        live.get()
            .and_then(Result::ok)
            .map(|live| live.figures)
            .unwrap_or(initial)
    });
    view! {
        <Title text=format!("{} — admin", workshop.title) />
        <article class="admin-workshop" data-slug=slug.clone()>
            <header class="admin-header">
                <p><a href="/admin">"All your workshops"</a></p>
                <span class=workshop.state.css_class()>{workshop.state.label()}</span>
                <h1>{workshop.title.clone()}</h1>
                <p class="muted">
                    {match workshop.state {
                        WorkshopState::Upcoming => "Claims open ",
                        WorkshopState::Open => "Claims close ",
                        WorkshopState::Closed => "Claims closed ",
                    }}
                    <TimeText time=match workshop.state {
                        WorkshopState::Upcoming => workshop.claims_open_at.clone(),
                        _ => workshop.claims_close_at.clone(),
                    } />
                    " · " <a href=format!("/w/{slug}")>"Attendee page"</a>
                    " · " <a href=format!("/w/{slug}/qr")>"Projector"</a>
                </p>
            </header>
            <section class="admin-panel" aria-labelledby="figures-title">
                <h2 id="figures-title">"The room"</h2>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match live.await {
                            Ok(live) => view! { <RoomFigures live /> }.into_any(),
                            Err(error) => view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
                <Toolbar slug=slug.clone() demo_mode=admin.demo_mode figures actions />
                <BulkTopUp
                    slug=slug.clone()
                    amount=Signal::derive(move || query.with(|query| query.top_up.clone()))
                    preview=top_up_preview
                    batches=actions.bulk_batches
                    keep=query.get_untracked().kept()
                />
            </section>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    live.await.ok().map(|live| view! { <Charts charts=live.charts /> })
                })}
            </Transition>
            <section class="admin-panel" aria-labelledby="attendees-title">
                <h2 id="attendees-title">"Attendees"</h2>
                <TableControls query />
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || { let slug = table_slug.clone(); Suspend::new(async move {
                        match table.await {
                            Ok(table) => view! { <ClaimsTableView slug table actions query /> }.into_any(),
                            Err(error) => view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}}
                </Transition>
            </section>
            <Configuration admin=admin.clone() drift actions />
        </article>
    }
    .into_any()
}
