//! Topping up keys from the admin page: one row's key (+$1, +$2 or an amount, with the
//! row's history of top-ups), and every key spent above 80 % at once (a preview first,
//! then the run, a few keys per call so the page shows progress and stops cleanly at
//! the workshop's cap).
//!
//! Without JavaScript both are plain forms: a row's top-up posts and the page reloads;
//! the bulk preview is a GET form (`?top_up=2`), and its confirmation posts one call
//! that tops up every key above 80 % on the server.

use leptos::prelude::*;

use crate::api::admin::{top_up_low, TopUpKey};
use crate::components::admin::counted;
use crate::components::admin::page_query::QueryForm;
use crate::components::relative_time::relative;
use wire::error::AppError;
use wire::model::{BulkTopUpReport, ClaimRow, RowStatus, TopUpPreview, Usd};

/// The page-wide state of the row top-ups: it outlives the table's rows, which are
/// rendered anew after every top-up (the new limit comes from the server).
#[derive(Clone, Copy)]
pub struct RowTopUps {
    pub action: ServerAction<TopUpKey>,
    /// The row whose top-up panel is open, so it stays open when the table reloads.
    open_row: RwSignal<Option<String>>,
    /// The row whose top-up ran last: its answer is shown in that row only.
    last_row: RwSignal<Option<String>>,
    /// The row whose panel takes the focus back once the reloaded table shows it.
    refocus: RwSignal<Option<String>>,
}

impl RowTopUps {
    pub fn new() -> Self {
        let state = RowTopUps {
            action: ServerAction::new(),
            open_row: RwSignal::new(None),
            last_row: RwSignal::new(None),
            refocus: RwSignal::new(None),
        };
        let (action, last_row, refocus) = (state.action, state.last_row, state.refocus);
        Effect::new(move |_| {
            if let Some(input) = action.input().get() {
                last_row.set(Some(input.row.clone()));
                refocus.set(Some(input.row));
            }
        });
        state
    }
}

impl Default for RowTopUps {
    fn default() -> Self {
        Self::new()
    }
}

/// The outcome line of the toolbar for the last row top-up.
pub fn top_up_outcome(top_ups: RowTopUps) -> Option<String> {
    top_ups.action.value().get().map(|result| match result {
        Ok(row) => format!("{}: limit now {}.", row.email, row.limit),
        Err(error) => error.to_string(),
    })
}

/// "Top up" in a row's actions: quick amounts, any amount, and who topped up before.
#[component]
pub fn RowTopUp(row: ClaimRow, slug: String, top_ups: RowTopUps, now: i64) -> impl IntoView {
    let RowTopUps {
        action,
        open_row,
        last_row,
        refocus,
    } = top_ups;
    let id = row.id.clone();
    let (is_open, on_toggle_id, focus_id, result_id, pending_id) =
        (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let summary_ref = NodeRef::<leptos::html::Summary>::new();
    let details_ref = NodeRef::<leptos::html::Details>::new();
    Effect::new(move |_| {
        let Some(summary) = summary_ref.get() else {
            return;
        };
        if refocus.get_untracked().as_deref() == Some(focus_id.as_str()) {
            refocus.set(None);
            let _ = summary.focus();
        }
    });
    let pending = move || {
        action.pending().get() && last_row.with(|last| last.as_deref() == Some(&*pending_id))
    };
    let result = move || {
        if last_row.with(|last| last.as_deref() != Some(&*result_id)) || action.pending().get() {
            return None;
        }
        action.value().get().map(|result| match result {
            Ok(row) => (false, format!("Done: the limit is now {}.", row.limit)),
            Err(error) => (true, error.to_string()),
        })
    };
    let who = format!(" for {}", row.email);
    let body = match row.status {
        RowStatus::Bound => view! {
            <TopUpForms slug row_id=id.clone() who=who.clone() action pending=Signal::derive(pending.clone()) />
        }
        .into_any(),
        RowStatus::Disabled => view! {
            <p class="small">"This key is disabled: enable it first, then top it up."</p>
        }
        .into_any(),
        _ => view! {
            <p class="small">"This key is not bound to the workshop's guardrail yet: retry it first, then top it up."</p>
        }
        .into_any(),
    };
    let history = row.top_ups.clone();
    view! {
        <details
            node_ref=details_ref
            class="row-top-up"
            prop:open=move || open_row.with(|open| open.as_deref() == Some(&*is_open))
            on:toggle=move |_| {
                let opened = details_ref.get_untracked().is_some_and(|details| details.open());
                open_row.update(|open| {
                    if opened {
                        *open = Some(on_toggle_id.clone());
                    } else if open.as_deref() == Some(&*on_toggle_id) {
                        *open = None;
                    }
                });
            }
        >
            <summary node_ref=summary_ref class="button button-small button-secondary">
                "Top up" <span class="visually-hidden">{who}</span>
            </summary>
            <div class="top-up-panel">
                {body}
                <p class="small" role="status" aria-live="polite">
                    {move || if pending() { Some(view! { <span>"Topping up…"</span> }.into_any()) } else {
                        result().map(|(failed, words)| view! {
                            <span class=if failed { "top-up-failed" } else { "top-up-done" }>{words}</span>
                        }.into_any())
                    }}
                </p>
                {(!history.is_empty()).then(|| view! {
                    <ul class="top-up-history small muted" aria-label="Top-ups of this key">
                        {history.into_iter().map(|record| view! {
                            <li>{format!("+{} by {} {} (limit {})", record.added, record.by, relative(now, record.at.unix), record.limit_after)}</li>
                        }).collect_view()}
                    </ul>
                })}
            </div>
        </details>
    }
}

/// The two forms of a bound key's top-up: quick amounts (the pressed button's value is
/// the amount) and any amount.
#[component]
fn TopUpForms(
    slug: String,
    row_id: String,
    who: String,
    action: ServerAction<TopUpKey>,
    pending: Signal<bool>,
) -> impl IntoView {
    let (slug_too, row_too, who_too) = (slug.clone(), row_id.clone(), who.clone());
    view! {
        <ActionForm action attr:class="inline">
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="row" value=row_id />
            <button type="submit" name="add_usd" value="1" class="button button-small" disabled=pending>
                "+$1" <span class="visually-hidden">{who.clone()}</span>
            </button>
            <button type="submit" name="add_usd" value="2" class="button button-small" disabled=pending>
                "+$2" <span class="visually-hidden">{who}</span>
            </button>
        </ActionForm>
        <ActionForm action attr:class="inline top-up-amount">
            <input type="hidden" name="slug" value=slug_too />
            <input type="hidden" name="row" value=row_too />
            <label class="small">
                "Amount in $"
                <input name="add_usd" inputmode="decimal" required size="5" maxlength="12"
                    autocomplete="off" placeholder="5.00" />
            </label>
            <button type="submit" class="button button-small button-secondary" disabled=pending>
                "Add" <span class="visually-hidden">{who_too}</span>
            </button>
        </ActionForm>
    }
}

/// "Top up everyone low…": choose the amount, see what it commits, then run it.
#[component]
pub fn BulkTopUp(
    slug: String,
    /// The amount in the page's URL (`?top_up=2`): the preview is shown for it.
    amount: Signal<Option<String>>,
    preview: Resource<Option<Result<TopUpPreview, AppError>>>,
    /// Ticks after each batch, so the figures and table reload as the run goes.
    batches: RwSignal<usize>,
    /// The table's query, kept through the preview's GET form.
    keep: Vec<(&'static str, String)>,
) -> impl IntoView {
    let current = amount.get_untracked().unwrap_or_else(|| "2".to_string());
    let opened = amount.get_untracked().is_some();
    // Outside the preview, which reloads after every batch: the run's progress and its
    // last words stay on screen.
    let progress = RwSignal::new(Progress::default());
    let words = move || progress_words(progress.get());
    view! {
        <details class="bulk-top-up" open=opened>
            <summary>"Top up everyone low…"</summary>
            <QueryForm class="inline">
                {keep.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value /> }).collect_view()}
                <label>
                    "Add to every key spent above 80 %, in $"
                    <input name="top_up" inputmode="decimal" required size="5" maxlength="12"
                        autocomplete="off" value=current />
                </label>
                <button type="submit" class="button button-secondary">"Preview"</button>
            </QueryForm>
            <Transition fallback=|| view! { <p>"Counting…"</p> }>
                {move || {
                    let slug = slug.clone();
                    Suspend::new(async move {
                        match preview.await {
                            None => None,
                            Some(Ok(preview)) => Some(view! { <BulkRun slug preview batches progress /> }.into_any()),
                            Some(Err(error)) => Some(view! {
                                <p class="notice notice-error" role="alert">{error.to_string()}</p>
                            }.into_any()),
                        }
                    })
                }}
            </Transition>
            <Show when=move || progress.with(|progress| progress.running || progress.finished)>
                <progress max=move || progress.with(|progress| progress.total.max(1))
                    value=move || progress.with(|progress| progress.done)
                    aria-label="Keys topped up so far"></progress>
            </Show>
            <p role="status" class="small" data-top-up-progress>{words}</p>
        </details>
    }
}

/// Where a bulk run is.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct Progress {
    done: i64,
    total: i64,
    report: BulkTopUpReportSum,
    running: bool,
    finished: bool,
}

/// The batches' reports added up, and the error that stopped the run, if any.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
struct BulkTopUpReportSum {
    topped_up: i64,
    added: Usd,
    left_at_cap: i64,
    failed: i64,
}

impl BulkTopUpReportSum {
    fn add(&mut self, report: BulkTopUpReport) {
        self.topped_up += report.topped_up;
        self.added = self.added + report.added;
        self.left_at_cap += report.left_at_cap;
        self.failed += report.failed;
    }
}

/// The preview's sentence and the button that runs it.
#[component]
fn BulkRun(
    slug: String,
    preview: TopUpPreview,
    batches: RwSignal<usize>,
    progress: RwSignal<Progress>,
) -> impl IntoView {
    if preview.keys == 0 {
        return view! {
            <p class="notice notice-info" data-top-up-preview="0">"No key is spent above 80 % right now: nothing to top up."</p>
        }
        .into_any();
    }
    if preview.fitting == 0 {
        return view! {
            <p class="notice notice-warn" data-top-up-preview=preview.keys>
                {format!(
                    "{} spent above 80 %, but the workshop's cap leaves only {}: not enough for {} more. Raise limit_usd in the workshop file to top up.",
                    counted(preview.keys, "key is", "keys are"),
                    preview.left,
                    preview.add
                )}
            </p>
        }
        .into_any();
    }
    let sentence = format!(
        "{} spent above 80 %: adding {} to each commits {}; the workshop's cap leaves {} ({}).",
        counted(preview.keys, "key is", "keys are"),
        preview.add,
        preview.total,
        preview.left,
        if preview.fitting >= preview.keys {
            "room for all of them".to_string()
        } else {
            format!("room for {}, most spent first", preview.fitting)
        }
    );
    let amount = preview.add.as_dollars().to_string();
    let (rows, run_slug, run_amount) = (preview.rows.clone(), slug.clone(), amount.clone());
    let run = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if progress.with_untracked(|progress| progress.running) {
            return;
        }
        progress.set(Progress {
            total: rows.len() as i64,
            running: true,
            ..Progress::default()
        });
        let (rows, slug, amount) = (rows.clone(), run_slug.clone(), run_amount.clone());
        leptos::task::spawn_local(async move {
            run_in_batches(slug, amount, rows, progress, batches).await;
        });
    };
    let button_words = format!(
        "Top up {} by {}",
        counted(preview.keys.min(preview.fitting), "key", "keys"),
        preview.add
    );
    view! {
        <p data-top-up-preview=preview.keys>{sentence}</p>
        <form method="post" action="/api/top_up_low" on:submit=run>
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="add_usd" value=amount />
            <button type="submit" class="button" disabled=move || progress.with(|progress| progress.running)>
                {button_words}
            </button>
        </form>
    }
    .into_any()
}

/// The keys a page call tops up at most (the server's limit per call).
const ROWS_PER_CALL: usize = 10;

/// Tops up `rows` a batch at a time; stops at the cap, on an error, or when a batch
/// moved nothing (the keys changed since the preview).
async fn run_in_batches(
    slug: String,
    amount: String,
    rows: Vec<String>,
    progress: RwSignal<Progress>,
    batches: RwSignal<usize>,
) {
    let mut error = None;
    for batch in rows.chunks(ROWS_PER_CALL) {
        match top_up_low(slug.clone(), amount.clone(), Some(batch.to_vec())).await {
            Ok(report) => {
                progress.update(|progress| {
                    progress.done += batch.len() as i64;
                    progress.report.add(report);
                });
                batches.update(|count| *count += 1);
                if report.left_at_cap > 0 || report.topped_up == 0 {
                    break;
                }
            }
            Err(failure) => {
                error = Some(failure);
                break;
            }
        }
    }
    progress.update(|progress| {
        progress.running = false;
        progress.finished = true;
    });
    if let Some(error) = error {
        leptos::logging::warn!("bulk top-up stopped: {error}");
        progress.update(|progress| progress.report.failed = -1);
    }
}

fn progress_words(progress: Progress) -> String {
    let report = progress.report;
    if progress.running {
        return format!(
            "Topped up {} of {}…",
            progress.done.min(progress.total),
            progress.total
        );
    }
    if !progress.finished {
        return String::new();
    }
    if report.failed < 0 {
        return format!(
            "Stopped after {} ({} added): the server could not go on. Open the preview again to see what is left.",
            counted(report.topped_up, "key", "keys"),
            report.added
        );
    }
    let mut words = format!(
        "Topped up {} ({} added).",
        counted(report.topped_up, "key", "keys"),
        report.added
    );
    if report.left_at_cap > 0 {
        words.push_str(&format!(
            " Stopped at the workshop's cap: {} not topped up.",
            counted(report.left_at_cap, "key was", "keys were")
        ));
    }
    if report.failed > 0 {
        words.push_str(&format!(
            " OpenRouter did not take {}: top them up from their rows.",
            counted(report.failed, "key", "keys")
        ));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(report: BulkTopUpReportSum) -> Progress {
        Progress {
            done: 3,
            total: 3,
            report,
            running: false,
            finished: true,
        }
    }

    #[test]
    fn the_progress_line_counts_while_running_and_says_why_it_stopped() {
        let running = Progress {
            done: 10,
            total: 24,
            running: true,
            ..Progress::default()
        };
        assert_eq!(progress_words(running), "Topped up 10 of 24…");
        let all = BulkTopUpReportSum {
            topped_up: 3,
            added: Usd::from_micros(6_000_000),
            ..Default::default()
        };
        assert_eq!(
            progress_words(finished(all)),
            "Topped up 3 keys ($6.00 added)."
        );
        let capped = BulkTopUpReportSum {
            left_at_cap: 2,
            ..all
        };
        assert!(progress_words(finished(capped))
            .contains("Stopped at the workshop's cap: 2 keys were not topped up."));
        let failed = BulkTopUpReportSum { failed: 1, ..all };
        assert!(progress_words(finished(failed)).contains("OpenRouter did not take 1 key"));
    }
}
