//! The workshop-wide actions of the admin page (retry all, sync, exports, disable all,
//! and in demo mode simulated activity), each with the line saying what it did.

use leptos::prelude::*;

use crate::components::admin::actions::AdminActions;
use wire::model::AdminFigures;

/// The workshop-wide actions, each showing what it did.
#[component]
pub fn Toolbar(
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
    let outcome = move || actions.latest_outcome().unwrap_or_default();
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
