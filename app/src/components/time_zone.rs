//! Times are rendered by the server in the workshop's time zone; after hydration the
//! viewer can switch every time on the page to their own zone (computed by the browser,
//! which is the only party that knows it).
//!
//! The switch and the times are islands (a time inside a bigger island is part of it),
//! and the choice is one page-wide signal, so one switch moves every time on the page.

use leptos::prelude::*;

use crate::browser::{in_viewer_zone, viewer_offset_secs, viewer_zone_name};
use crate::components::page_state::page_wide;
use wire::model::WorkshopTime;

thread_local! {
    static SHOW_VIEWER_ZONE: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// Whether the page shows times in the viewer's zone instead of the workshop's.
fn show_viewer_zone() -> RwSignal<bool> {
    page_wide(&SHOW_VIEWER_ZONE)
}

#[island]
pub fn TimeZoneToggle(workshop_zone: String) -> impl IntoView {
    let show_viewer = show_viewer_zone();
    let label = move || {
        if show_viewer.get() {
            format!(
                "Times in your time zone ({}).",
                viewer_zone_name().unwrap_or_default()
            )
        } else {
            format!("Times in the workshop's time zone ({workshop_zone}).")
        }
    };
    view! {
        <p class="time-zone-toggle">
            <span data-testid="time-zone-label">{label}</span>
            " "
            <button type="button" class="link-button" on:click=move |_| show_viewer.update(|on| *on = !*on)>
                {move || if show_viewer.get() { "Show workshop time" } else { "Show my time" }}
            </button>
        </p>
    }
}

/// An instant in the workshop's zone. After hydration, when the viewer's clock is on
/// another offset, their own time follows it ("· 08:00 CET your time"); the toggle
/// swaps which of the two leads.
#[island]
pub fn TimeText(
    time: WorkshopTime,
    /// One time only, in whichever zone the toggle chose (table cells, where a second
    /// time on every row would be noise).
    #[prop(optional)]
    compact: Option<bool>,
) -> impl IntoView {
    let show_viewer = show_viewer_zone();
    // Known only in the browser, so set after hydration: the server render and the
    // first client render agree.
    let viewer_time = RwSignal::new(None::<String>);
    let (utc, unix, offset) = (time.utc.clone(), time.unix, time.workshop_offset_secs);
    Effect::new(move |_| {
        if !compact.unwrap_or(false)
            && viewer_offset_secs(unix).is_some_and(|viewer| viewer != offset)
        {
            viewer_time.set(in_viewer_zone(&utc));
        }
    });
    let in_workshop_zone = time.in_workshop_zone.clone();
    let datetime = time.utc.clone();
    let text = move || {
        if show_viewer.get() {
            in_viewer_zone(&time.utc).unwrap_or_else(|| time.in_workshop_zone.clone())
        } else {
            time.in_workshop_zone.clone()
        }
    };
    let other = move || {
        let viewer = viewer_time.get()?;
        Some(if show_viewer.get() {
            format!(" · {in_workshop_zone} workshop time")
        } else {
            format!(" · {viewer} your time")
        })
    };
    view! {
        <time datetime=datetime>{text}</time>
        <span class="other-zone">{other}</span>
    }
}
