//! One polite live region per page: what the page wants said to a screen reader
//! ("Copied to the clipboard", "Your key is ready") without moving focus.
//!
//! The region is an island of its own in the page's frame, and what it says is one
//! page-wide signal, so every other island (the claim area, the key card, the room)
//! speaks through the same region without sharing a context with it.

use leptos::prelude::*;

use crate::components::page_state::page_wide;

#[derive(Clone, Copy)]
pub struct Announcer(RwSignal<String>);

impl Announcer {
    pub fn say(&self, message: impl Into<String>) {
        let message = message.into();
        // The same words twice in a row must be read twice: clear, then set.
        self.0.set(String::new());
        let signal = self.0;
        request_animation_frame(move || signal.set(message));
    }
}

thread_local! {
    static MESSAGE: ArcRwSignal<String> = ArcRwSignal::new(String::new());
}

pub fn use_announcer() -> Announcer {
    Announcer(page_wide(&MESSAGE))
}

/// The region itself: visually hidden, read by screen readers.
#[island]
pub fn LiveRegion() -> impl IntoView {
    let Announcer(message) = use_announcer();
    view! { <p class="visually-hidden" role="status" aria-live="polite">{move || message.get()}</p> }
}
