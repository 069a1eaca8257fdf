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
//! A lazy route: attendees never download this code. Without JavaScript every control
//! is a plain form (the table's search and filters a GET form), and the page reloads.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, Redirect};
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::{lazy_route, LazyRoute};

use crate::api::admin::{
    get_admin_workshop, get_change_mark, get_guardrail_drift, list_claims, preview_top_up_low,
    DisableAllKeys, ReapplyGuardrail, RetryAllUnbound, RetryBinding, SetKeyDisabled,
    SimulateActivity, SyncUsageNow,
};
use crate::components::admin::charts::Charts;
use crate::components::admin::counted;
use crate::components::admin::figures::{Badges, FigureBars};
use crate::components::admin::top_up::{top_up_outcome, BulkTopUp, RowTopUp, RowTopUps};
use crate::components::error_notice::ErrorNotice;
use crate::components::layout::sign_in_href;
use crate::components::relative_time::relative;
use crate::components::response_status::set_response_status;
use crate::components::time_zone::{provide_viewer_zone, TimeText};
use crate::error::AppError;
use crate::model::{
    AdminFigures, AdminWorkshop, ClaimRow, ClaimsTable, GuardrailDrift, PoolFigures, RowStatus,
    SortBy, TopUpPreview, WorkshopState,
};

/// How often the live page asks whether anything changed.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// The page's actions, created with its data so hydration finds them.
#[derive(Clone, Copy)]
struct AdminActions {
    retry: ServerAction<RetryBinding>,
    disable: ServerAction<SetKeyDisabled>,
    retry_all: ServerAction<RetryAllUnbound>,
    sync: ServerAction<SyncUsageNow>,
    disable_all: ServerAction<DisableAllKeys>,
    reapply: ServerAction<ReapplyGuardrail>,
    simulate: ServerAction<SimulateActivity>,
    top_up: RowTopUps,
    /// Ticks after each batch of a bulk top-up.
    bulk_batches: RwSignal<usize>,
    /// Which action was submitted last: the outcome line speaks of that one.
    latest: RwSignal<Option<Latest>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Latest {
    Retry,
    Disable,
    RetryAll,
    Sync,
    DisableAll,
    Reapply,
    Simulate,
    TopUp,
}

impl AdminActions {
    fn new() -> Self {
        AdminActions {
            retry: ServerAction::new(),
            disable: ServerAction::new(),
            retry_all: ServerAction::new(),
            sync: ServerAction::new(),
            disable_all: ServerAction::new(),
            reapply: ServerAction::new(),
            simulate: ServerAction::new(),
            top_up: RowTopUps::new(),
            bulk_batches: RwSignal::new(0),
            latest: RwSignal::new(None),
        }
    }

    /// Records which action was submitted last (in the browser; without JavaScript each
    /// action reloads the page anyway).
    fn track_latest(&self) {
        let latest = self.latest;
        let watch = |input: Signal<bool>, which: Latest| {
            Effect::new(move |_| {
                if input.get() {
                    latest.set(Some(which));
                }
            });
        };
        watch(self.retry.pending().into(), Latest::Retry);
        watch(self.disable.pending().into(), Latest::Disable);
        watch(self.retry_all.pending().into(), Latest::RetryAll);
        watch(self.sync.pending().into(), Latest::Sync);
        watch(self.disable_all.pending().into(), Latest::DisableAll);
        watch(self.reapply.pending().into(), Latest::Reapply);
        watch(self.simulate.pending().into(), Latest::Simulate);
        watch(self.top_up.action.pending().into(), Latest::TopUp);
    }

    /// Moves whenever any action finished: the figures and table reload then.
    fn versions(&self) -> usize {
        self.retry.version().get()
            + self.disable.version().get()
            + self.retry_all.version().get()
            + self.sync.version().get()
            + self.disable_all.version().get()
            + self.reapply.version().get()
            + self.simulate.version().get()
            + self.top_up.action.version().get()
            + self.bulk_batches.get()
    }
}

/// The table's query, from the page's URL (`?q=…&status=…&sort=…&page=…`), and the
/// amount of a bulk top-up being previewed (`&top_up=2`).
#[derive(Clone, PartialEq)]
struct TableQuery {
    search: String,
    status: String,
    sort: String,
    page: i64,
    top_up: Option<String>,
}

impl TableQuery {
    /// The parts a form on the page keeps when it changes another.
    fn kept(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.search.clone()),
            ("status", self.status.clone()),
            ("sort", self.sort.clone()),
        ]
    }
}

/// What the page loads and does, made in `view` (see `AdminWorkshopRoute`).
struct AdminWorkshopData {
    slug: Signal<String>,
    query: Memo<TableQuery>,
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

/// Loads nothing in `data`: unlike `view`, `data` is not split off (it runs while the
/// chunk loads), so the resources and actions made there would put every admin server
/// function's client code and the admin types' deserialisers into the attendee's bundle.
pub struct AdminWorkshopRoute;

#[lazy_route]
impl LazyRoute for AdminWorkshopRoute {
    fn data() -> Self {
        AdminWorkshopRoute
    }

    fn view(_this: Self) -> AnyView {
        view! { <AdminWorkshopPage route=AdminWorkshopData::load() /> }.into_any()
    }
}

impl AdminWorkshopData {
    fn load() -> Self {
        let params = use_params_map();
        let slug = Signal::derive(move || params.read().get("slug").unwrap_or_default());
        let url = use_query_map();
        let query = Memo::new(move |_| {
            let url = url.read();
            TableQuery {
                search: url.get("q").unwrap_or_default(),
                status: url.get("status").unwrap_or_default(),
                sort: url.get("sort").unwrap_or_default(),
                page: url
                    .get("page")
                    .and_then(|page| page.parse().ok())
                    .unwrap_or(1),
                top_up: url.get("top_up").filter(|amount| !amount.trim().is_empty()),
            }
        });
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
fn AdminWorkshopPage(route: AdminWorkshopData) -> impl IntoView {
    provide_viewer_zone();
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
                        <AdminWorkshopView admin live actions table drift query top_up_preview />
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
fn AdminWorkshopView(
    admin: AdminWorkshop,
    live: Resource<Result<AdminWorkshop, AppError>>,
    actions: AdminActions,
    table: Resource<Result<ClaimsTable, AppError>>,
    drift: Resource<Result<GuardrailDrift, AppError>>,
    query: Memo<TableQuery>,
    top_up_preview: Resource<Option<Result<TopUpPreview, AppError>>>,
) -> impl IntoView {
    let workshop = admin.workshop.clone();
    let slug = workshop.slug.clone();
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
                    {move || Suspend::new(async move {
                        match table.await {
                            Ok(table) => view! { <ClaimsTableView table actions query /> }.into_any(),
                            Err(error) => view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <Configuration admin=admin.clone() drift actions />
        </article>
    }
    .into_any()
}

/// The room against its caps, as of the last reload: bars, badges, and how fresh the
/// usage figures are.
#[component]
fn RoomFigures(live: AdminWorkshop) -> impl IntoView {
    let synced = live
        .figures
        .last_sync
        .map(|at| format!("Usage as of {}", relative(live.now, at)))
        .unwrap_or_else(|| "Usage not synced yet".to_string());
    view! {
        <FigureBars figures=live.figures />
        <Badges figures=live.figures />
        <PoolLine pool=live.pool />
        <p class="muted" data-synced>{synced}</p>
    }
}

/// The warm key pool in one sentence: what it keeps, what is ready, what is on its way,
/// and what the close deleted.
#[component]
fn PoolLine(pool: PoolFigures) -> impl IntoView {
    let words = pool_words(&pool);
    view! { <p class="muted" data-pool>{words}</p> }
}

fn pool_words(pool: &PoolFigures) -> String {
    if let Some(deleted) = pool.deleted_at_close {
        return format!(
            "Key pool: closed; {} unclaimed deleted from OpenRouter.",
            counted(deleted, "key", "keys")
        );
    }
    if !pool.enabled {
        return "Key pool: off (key_pool: 0); each claim mints its key.".to_string();
    }
    if !pool.filling {
        return format!(
            "Key pool: off until {} before claims open; then {} kept ready.",
            counted(pool.lead_minutes, "minute", "minutes"),
            counted(pool.target, "key", "keys")
        );
    }
    let minting = if pool.minting > 0 {
        format!(", {} being made", pool.minting)
    } else {
        String::new()
    };
    format!(
        "Key pool: {} of {} ready{minting}. Claims take a ready key without waiting for OpenRouter.",
        pool.ready, pool.target
    )
}

/// The workshop-wide actions, each showing what it did.
#[component]
fn Toolbar(
    slug: String,
    demo_mode: bool,
    figures: Signal<AdminFigures>,
    actions: AdminActions,
) -> impl IntoView {
    let unbound = move || figures.get().unbound;
    let keys = move || figures.get().claimed;
    let retry_all_pending = actions.retry_all.pending();
    let sync_pending = actions.sync.pending();
    let simulate_pending = actions.simulate.pending();
    let disable_all_pending = actions.disable_all.pending();
    let outcome = move || {
        let row = |result: Result<ClaimRow, AppError>| match result {
            Ok(row) => format!("{}: {}.", row.email, row.status.label()),
            Err(error) => error.to_string(),
        };
        let retry = actions.retry.value().get().map(row);
        let disable = actions.disable.value().get().map(row);
        let retry_all = actions.retry_all.value().get().map(|result| match result {
            Ok(report) => format!(
                "Bound {}; {} still unbound.",
                counted(report.bound, "key", "keys"),
                report.still_unbound
            ),
            Err(error) => error.to_string(),
        });
        let sync = actions.sync.value().get().map(|result| match result {
            Ok(crate::model::SyncNowOutcome::Synced {
                keys_updated,
                list_calls,
            }) => {
                format!(
                    "Usage synced: {} updated in {}.",
                    counted(keys_updated, "key", "keys"),
                    counted(list_calls, "call", "calls")
                )
            }
            Ok(crate::model::SyncNowOutcome::AlreadyRunning) => {
                "Another sync is running right now; figures update when it ends.".to_string()
            }
            Ok(crate::model::SyncNowOutcome::Recent { synced_secs_ago }) => format!(
                "Synced {} ago; these figures are from then.",
                counted(synced_secs_ago, "second", "seconds")
            ),
            Err(error) => error.to_string(),
        });
        let disable_all = actions
            .disable_all
            .value()
            .get()
            .map(|result| match result {
                Ok(report) => format!(
                    "Disabled {}; {} could not be disabled (try again).",
                    counted(report.disabled, "key", "keys"),
                    report.failed
                ),
                Err(error) => error.to_string(),
            });
        let simulate = actions.simulate.value().get().map(|result| match result {
            Ok(count) => format!("Simulated spend on {}.", counted(count, "key", "keys")),
            Err(error) => error.to_string(),
        });
        // Only the last action's outcome: older ones would read as news.
        match actions.latest.get() {
            Some(Latest::Retry) => retry,
            Some(Latest::Disable) => disable,
            Some(Latest::RetryAll) => retry_all,
            Some(Latest::Sync) => sync,
            Some(Latest::DisableAll) => disable_all,
            Some(Latest::Simulate) => simulate,
            Some(Latest::TopUp) => top_up_outcome(actions.top_up),
            Some(Latest::Reapply) | None => None,
        }
        .unwrap_or_default()
    };
    // Each form owns its copy: an ActionForm's children move what they use.
    let [retry_all_slug, sync_slug, demo_slug, disable_all_slug] =
        std::array::from_fn(|_| slug.clone());
    let claims_csv = format!("/admin/{slug}/claims.csv");
    let opt_ins_csv = format!("/admin/{slug}/opt-ins.csv");
    let confirm_words = format!("Type {slug} to confirm");
    view! {
        <div class="toolbar">
            <ActionForm action=actions.retry_all attr:class="inline">
                <input type="hidden" name="slug" value=retry_all_slug />
                <button type="submit" class="button" disabled=move || unbound() == 0 || retry_all_pending.get()>
                    {move || if retry_all_pending.get() { "Retrying…".to_string() } else { format!("Retry all unbound ({})", unbound()) }}
                </button>
            </ActionForm>
            <ActionForm action=actions.sync attr:class="inline">
                <input type="hidden" name="slug" value=sync_slug />
                <button type="submit" class="button button-secondary" disabled=move || sync_pending.get()>
                    {move || if sync_pending.get() { "Syncing…" } else { "Sync usage now" }}
                </button>
            </ActionForm>
            {demo_mode.then(|| view! {
                <ActionForm action=actions.simulate attr:class="inline">
                    <input type="hidden" name="slug" value=demo_slug />
                    <button type="submit" class="button button-secondary" disabled=move || simulate_pending.get()>
                        {move || if simulate_pending.get() { "Simulating…" } else { "Simulate activity (demo)" }}
                    </button>
                </ActionForm>
            })}
            <a class="button button-secondary" href=claims_csv rel="external" download>"Claims CSV"</a>
            <a class="button button-secondary" href=opt_ins_csv rel="external" download>"Opt-ins CSV"</a>
        </div>
        <details class="danger-zone">
            <summary>"End the workshop: disable all keys…"</summary>
            <ActionForm action=actions.disable_all attr:class="claim-form">
                <input type="hidden" name="slug" value=disable_all_slug />
                <p>"Every key of this workshop stops working at once. Attendees see that their key was disabled; you can enable keys one by one afterwards."</p>
                <label>
                    {confirm_words}
                    <input name="confirmation" required autocomplete="off" />
                </label>
                <button type="submit" class="button button-danger" disabled=move || disable_all_pending.get()>
                    {move || if disable_all_pending.get() { "Disabling…".to_string() } else { format!("Disable all {} keys", keys()) }}
                </button>
            </ActionForm>
        </details>
        <p class="action-outcome" role="status">{outcome}</p>
    }
    .into_any()
}

/// Search, filter and sort: a GET form, so it works without JavaScript and the URL can
/// be shared.
#[component]
fn TableControls(query: Memo<TableQuery>) -> impl IntoView {
    let current = query.get_untracked();
    view! {
        <Form method="GET" action="" attr:class="table-controls">
            <label>"Search name or email"
                <input type="search" name="q" value=current.search.clone() maxlength="200" />
            </label>
            <label>"Status"
                <select name="status">
                    <option value="" selected=current.status.is_empty()>"All"</option>
                    {RowStatus::ALL.into_iter().map(|status| view! {
                        <option value=status.as_str() selected=current.status == status.as_str()>{status.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Sort"
                <select name="sort">
                    {SortBy::ALL.into_iter().map(|sort| view! {
                        <option value=sort.as_str() selected=current.sort == sort.as_str() || (current.sort.is_empty() && sort == SortBy::default())>{sort.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="button button-secondary">"Show"</button>
        </Form>
    }
    .into_any()
}

#[component]
fn ClaimsTableView(
    table: ClaimsTable,
    actions: AdminActions,
    query: Memo<TableQuery>,
) -> impl IntoView {
    let current = query.get_untracked();
    let page_href = move |page: i64| {
        let mut pairs = current.kept();
        pairs.push(("page", page.to_string()));
        format!(
            "?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let (page, pages) = (table.page, table.pages);
    let table_now = table.now;
    let previous = (page > 1).then(|| page_href(page - 1));
    let next = (page < pages).then(|| page_href(page + 1));
    view! {
        <p class="table-count" data-total=table.total>
            {format!("{} · page {} of {}", counted(table.total, "claim matches", "claims match"), page, pages)}
        </p>
        <div class="table-scroll" role="region" aria-label="Table of attendees" tabindex="0">
            <table class="claims-table">
                <thead>
                    <tr>
                        <th scope="col">"Attendee"</th>
                        <th scope="col">"Claimed"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Spent"</th>
                        <th scope="col">"Last error"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {table.rows.into_iter().map(|row| view! { <ClaimRowView row actions now=table_now /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pages" aria-label="Pages of attendees">
            {previous.map(|href| view! { <a href=href rel="prev">"← Previous"</a> })}
            {next.map(|href| view! { <a href=href rel="next">"Next →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn ClaimRowView(row: ClaimRow, actions: AdminActions, now: i64) -> impl IntoView {
    let slug_of_page = use_params_map();
    let slug = move || slug_of_page.read().get("slug").unwrap_or_default();
    let status = row.status;
    let can_retry = matches!(status, RowStatus::Unbound | RowStatus::Failed);
    let has_key = row.key_label.is_some();
    let disabled = status == RowStatus::Disabled;
    let spent = row
        .spent
        .map(|spent| spent.to_string())
        .unwrap_or_else(|| "—".to_string());
    let spent_micros = row.spent.map(|spent| spent.micros()).unwrap_or(0);
    let limit_micros = row.limit.micros();
    let (retry_id, disable_id) = (row.id.clone(), row.id.clone());
    let who = format!(" {}", row.email);
    let who_too = who.clone();
    let this_row = row.id.clone();
    let retrying = move || {
        actions.retry.pending().get()
            && actions
                .retry
                .input()
                .with(|input| input.as_ref().is_some_and(|input| input.row == this_row))
    };
    let synced = row
        .synced_at
        .map(|at| format!("as of {}", relative(now, at)));
    view! {
        <tr data-row=row.id.clone() data-status=status.as_str()>
            <td>
                <span class="who">{row.name.clone().unwrap_or_else(|| row.email.clone())}</span>
                <span class="muted small">{row.email.clone()} " · " {crate::model::provider_display_name(&row.provider).to_string()}</span>
            </td>
            <td data-label="Claimed"><TimeText time=row.claimed_at.clone() compact=true /></td>
            <td data-label="Status"><span class=format!("badge badge-{}", status.as_str())>{status.label()}</span></td>
            <td data-label="Spent">
                <meter min="0" max=limit_micros.to_string() value=spent_micros.min(limit_micros).to_string()
                    aria-label=format!("{spent} of {}", row.limit)></meter>
                <span class="small">{format!("{spent} of {}", row.limit)}</span>
                {row.remaining.map(|left| view! { <span class="small muted">{format!(" · {} left", left.max(crate::model::Usd::ZERO))}</span> })}
                {row.topped_up.is_positive().then(|| view! { <span class="small muted" data-topped-up>{format!("incl. {} topped up", row.topped_up)}</span> })}
                {synced.map(|words| view! { <span class="small muted">{words}</span> })}
            </td>
            <td class="last-error" data-label="Last error">{row.last_error.clone().unwrap_or_default()}</td>
            <td class="row-actions">
                {can_retry.then(|| view! {
                    <ActionForm action=actions.retry attr:class="inline">
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="row" value=retry_id />
                        <button type="submit" class="button button-small" disabled=retrying.clone()>
                            {let retrying = retrying.clone(); move || if retrying() { "Retrying…" } else { "Retry" }}
                            <span class="visually-hidden">{who}</span>
                        </button>
                    </ActionForm>
                })}
                {has_key.then(|| view! { <RowTopUp row=row.clone() slug=slug() top_ups=actions.top_up now /> })}
                {has_key.then(|| view! {
                    <ActionForm action=actions.disable attr:class="inline">
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="row" value=disable_id />
                        <input type="hidden" name="disabled" value=(!disabled).to_string() />
                        <button type="submit" class="button button-small button-secondary">
                            {if disabled { "Enable" } else { "Disable" }}
                            <span class="visually-hidden">{who_too}</span>
                        </button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

/// The workshop file as loaded, and the guardrail on OpenRouter against it.
#[component]
fn Configuration(
    admin: AdminWorkshop,
    drift: Resource<Result<GuardrailDrift, AppError>>,
    actions: AdminActions,
) -> impl IntoView {
    let config = admin.config.clone();
    let workshop = admin.workshop.clone();
    let slug = workshop.slug.clone();
    let reapply_pending = actions.reapply.pending();
    view! {
        <section class="admin-panel" aria-labelledby="config-title">
            <h2 id="config-title">"Configuration"</h2>
            <dl class="facts">
                <dt>"Claims open"</dt><dd><TimeText time=workshop.claims_open_at.clone() /></dd>
                <dt>"Claims close"</dt><dd><TimeText time=workshop.claims_close_at.clone() /></dd>
                <dt>"Keys expire"</dt><dd><TimeText time=workshop.key_expires_at.clone() /></dd>
                <dt>"Per key"</dt><dd>{config.key_limit.to_string()}</dd>
                <dt>"Workshop cap"</dt><dd>{config.limit.to_string()}</dd>
                <dt>"Places"</dt><dd>{config.max_attendees.map(|places| places.to_string()).unwrap_or_else(|| "no limit".into())}</dd>
                <dt>"Models"</dt><dd>{config.allowed_models.join(", ")}</dd>
                <dt>"Email domains"</dt><dd>{if config.allowed_email_domains.is_empty() { "everyone".to_string() } else { config.allowed_email_domains.join(", ") }}</dd>
                <dt>"Organisers"</dt><dd>{config.admins.join(", ")}</dd>
                <dt>"Marketing question"</dt><dd>{if config.marketing_opt_in { "asked" } else { "not asked" }}</dd>
            </dl>
            <h3>"Guardrail on OpenRouter"</h3>
            <Transition fallback=|| view! { <p>"Checking…"</p> }>
                {move || Suspend::new(async move {
                    match drift.await {
                        Ok(drift) if drift.differences.is_empty() => view! {
                            <p class="notice notice-info" data-drift="none">"In step with the workshop file: the same models and limit."</p>
                        }.into_any(),
                        Ok(drift) => view! {
                            <div class="notice notice-warn" data-drift="found">
                                <p>"The guardrail differs from the workshop file:"</p>
                                <ul>{drift.differences.into_iter().map(|words| view! { <li>{words}</li> }).collect_view()}</ul>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <p class="notice notice-warn">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=actions.reapply attr:class="inline">
                <input type="hidden" name="slug" value=slug />
                <button type="submit" class="button button-secondary" disabled=move || reapply_pending.get()>
                    {move || if reapply_pending.get() { "Re-applying…" } else { "Re-apply the file's settings" }}
                </button>
            </ActionForm>
        </section>
    }
    .into_any()
}
