//! One polite live region per page: what the page wants said to a screen reader
//! ("Copied to the clipboard", "Your key is ready") without moving focus.

use leptos::prelude::*;

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

/// Provides the announcer; call once per page, above [`LiveRegion`].
pub fn provide_announcer() -> Announcer {
    let announcer = Announcer(RwSignal::new(String::new()));
    provide_context(announcer);
    announcer
}

pub fn use_announcer() -> Announcer {
    expect_context::<Announcer>()
}

/// The region itself: visually hidden, read by screen readers.
#[component]
pub fn LiveRegion() -> impl IntoView {
    let Announcer(message) = use_announcer();
    view! { <p class="visually-hidden" role="status" aria-live="polite">{move || message.get()}</p> }
}
