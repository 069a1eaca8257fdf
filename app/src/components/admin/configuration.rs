//! The admin page's configuration panel: the workshop file as loaded, and whether the
//! guardrail on OpenRouter still matches it (with the button that re-applies it).

use leptos::prelude::*;

use crate::components::admin::actions::AdminActions;
use crate::components::time_zone::TimeText;
use wire::error::AppError;
use wire::model::{AdminWorkshop, GuardrailDrift};

/// The workshop file as loaded, and the guardrail on OpenRouter against it.
#[component]
pub fn Configuration(
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
