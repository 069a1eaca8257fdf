//! The admin page's attendee table: its search, filter and sort form, its rows with
//! their actions (Retry, Top up, Disable/Enable), and its pages. The query lives in the
//! page's URL, so every view of the table can be shared and works without JavaScript.

use crate::components::admin::actions::AdminActions;
use crate::components::admin::counted;
use crate::components::admin::page_query::{QueryForm, QueryLink, TableParams};
use crate::components::admin::top_up::RowTopUp;
use crate::components::relative_time::relative;
use crate::components::time_zone::TimeText;
use leptos::prelude::*;
use wire::model::{ClaimRow, ClaimsTable, RowStatus, SortBy};

/// Search, filter and sort: a GET form, so it works without JavaScript and the URL can
/// be shared.
#[component]
pub fn TableControls(query: Memo<TableParams>) -> impl IntoView {
    let current = query.get_untracked();
    view! {
        <QueryForm class="table-controls">
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
        </QueryForm>
    }
    .into_any()
}

#[component]
pub fn ClaimsTableView(
    slug: String,
    table: ClaimsTable,
    actions: AdminActions,
    query: Memo<TableParams>,
) -> impl IntoView {
    let current = query.get_untracked();
    let page_href = move |page: i64| {
        let mut pairs = current.kept();
        pairs.push(("page", page.to_string()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
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
                    {table.rows.into_iter().map(|row| view! { <ClaimRowView slug=slug.clone() row actions now=table_now /> }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pages" aria-label="Pages of attendees">
            {previous.map(|query| view! { <QueryLink query rel="prev">"← Previous"</QueryLink> })}
            {next.map(|query| view! { <QueryLink query rel="next">"Next →"</QueryLink> })}
        </nav>
    }
    .into_any()
}

#[component]
fn ClaimRowView(slug: String, row: ClaimRow, actions: AdminActions, now: i64) -> impl IntoView {
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
    let (slug_to_retry, slug_to_top_up) = (slug.clone(), slug.clone());
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
                <span class="muted small">{row.email.clone()} " · " {wire::model::provider_display_name(&row.provider).to_string()}</span>
            </td>
            <td data-label="Claimed"><TimeText time=row.claimed_at.clone() compact=true /></td>
            <td data-label="Status"><span class=format!("badge badge-{}", status.as_str())>{status.label()}</span></td>
            <td data-label="Spent">
                <meter min="0" max=limit_micros.to_string() value=spent_micros.min(limit_micros).to_string()
                    aria-label=format!("{spent} of {}", row.limit)></meter>
                <span class="small">{format!("{spent} of {}", row.limit)}</span>
                {row.remaining.map(|left| view! { <span class="small muted">{format!(" · {} left", left.max(wire::model::Usd::ZERO))}</span> })}
                {row.topped_up.is_positive().then(|| view! { <span class="small muted" data-topped-up>{format!("incl. {} topped up", row.topped_up)}</span> })}
                {synced.map(|words| view! { <span class="small muted">{words}</span> })}
            </td>
            <td class="last-error" data-label="Last error">{row.last_error.clone().unwrap_or_default()}</td>
            <td class="row-actions">
                {can_retry.then(|| view! {
                    <ActionForm action=actions.retry attr:class="inline">
                        <input type="hidden" name="slug" value=slug_to_retry />
                        <input type="hidden" name="row" value=retry_id />
                        <button type="submit" class="button button-small" disabled=retrying.clone()>
                            {let retrying = retrying.clone(); move || if retrying() { "Retrying…" } else { "Retry" }}
                            <span class="visually-hidden">{who}</span>
                        </button>
                    </ActionForm>
                })}
                {has_key.then(|| view! { <RowTopUp row=row.clone() slug=slug_to_top_up top_ups=actions.top_up now /> })}
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
