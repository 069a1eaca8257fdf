//! A workshop's figures against its caps, as the organiser watches them: places, budget
//! committed and spent (bars), and the rows that need a look, as badges.

use leptos::prelude::*;

use wire::model::{AdminFigures, Usd};

/// A labelled bar: `value` of `max`, with the words beside it.
#[component]
pub fn FigureBar(label: &'static str, value: i64, max: i64, words: String) -> impl IntoView {
    view! {
        <div class="figure">
            <span class="figure-label">{label}</span>
            <meter min="0" max=max.max(1).to_string() value=value.min(max.max(1)).to_string()
                high=(max.max(1) / 10 * 9).to_string() optimum="0" aria-label=format!("{label}: {words}")>
                {words.clone()}
            </meter>
            <span class="figure-words">{words}</span>
        </div>
    }
}

/// Counts that need a look: unbound keys, failed reservations, and so on.
#[component]
pub fn Badges(figures: AdminFigures) -> impl IntoView {
    let badge = |count: i64, words: &'static str, class: &'static str| {
        (count > 0)
            .then(|| view! { <span class=format!("badge {class}")>{count} " " {words}</span> })
    };
    view! {
        <p class="badges">
            {badge(figures.unbound, "unbound", "badge-warn")}
            {badge(figures.failed, "reservations failed", "badge-warn")}
            {badge(figures.preparing, "being prepared", "badge-info")}
            {badge(figures.disabled, "disabled", "badge-muted")}
            {(figures.unbound + figures.failed + figures.preparing + figures.disabled == 0)
                .then(|| view! { <span class="badge badge-ok">"all keys fine"</span> })}
        </p>
    }
}

/// Places, budget committed and spent, against the caps.
#[component]
pub fn FigureBars(figures: AdminFigures) -> impl IntoView {
    let places = match figures.places {
        Some(places) => view! {
            <FigureBar label="Places" value=figures.claimed max=places
                words=format!("{} of {} claimed", figures.claimed, places) />
        }
        .into_any(),
        None => view! {
            <div class="figure">
                <span class="figure-label">"Places"</span>
                <span class="figure-words">{format!("{} claimed (no limit)", figures.claimed)}</span>
            </div>
        }
        .into_any(),
    };
    let money = |usd: Usd| usd.micros();
    view! {
        <div class="figures">
            {places}
            <FigureBar label="Budget committed" value=money(figures.committed) max=money(figures.limit)
                words=format!("{} of {}", figures.committed, figures.limit) />
            <FigureBar label="Spent" value=money(figures.spent) max=money(figures.limit)
                words=format!("{} of {}", figures.spent, figures.limit) />
        </div>
    }
}
