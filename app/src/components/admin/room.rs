//! The room against its caps, in one block of the admin page: the bars and badges, the
//! warm pool in one sentence, and how fresh the usage figures are.

use leptos::prelude::*;

use crate::components::admin::counted;
use crate::components::admin::figures::{Badges, FigureBars};
use crate::components::relative_time::relative;
use wire::model::{AdminWorkshop, PoolFigures};

/// The room against its caps, as of the last reload: bars, badges, and how fresh the
/// usage figures are.
#[component]
pub fn RoomFigures(live: AdminWorkshop) -> impl IntoView {
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
