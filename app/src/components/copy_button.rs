//! "Copy": puts text on the clipboard and says so, out loud for screen readers too. When
//! the browser refuses the clipboard, the text is selected instead with a hint to copy it
//! by hand. Before hydration (or without JavaScript) the button is hidden and the text it
//! belongs to stays selectable on the page.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::live_region::use_announcer;
use crate::browser::{copy_to_clipboard, select_text_of};

/// A copy button for `text`; `target` is the id of the element showing it (selected
/// when the clipboard is unavailable); `what` names it for the button's label.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] target: String,
    #[prop(into)] what: String,
    /// The visible label; "Copy" by default.
    #[prop(optional, into)]
    label: Option<String>,
    /// Set before the text is selected by hand, when what `target` shows must first be
    /// revealed (a masked key).
    #[prop(optional)]
    reveal: Option<RwSignal<bool>>,
) -> impl IntoView {
    let announcer = use_announcer();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let (copied, set_copied) = signal(false);
    let label = label.unwrap_or_else(|| "Copy".to_string());
    // The accessible name starts with the visible words ("Copy your key"), so speech
    // input users can say what they see.
    let hidden_words = format!(" {what}");
    let copy = move |_| {
        let (target, what) = (target.clone(), what.clone());
        let value = text.get_untracked();
        spawn_local(async move {
            if copy_to_clipboard(value).await {
                set_copied.set(true);
                announcer.say(format!("{what} copied to the clipboard"));
                set_timeout(
                    move || set_copied.set(false),
                    std::time::Duration::from_secs(2),
                );
            } else {
                if let Some(reveal) = reveal {
                    reveal.set(true);
                }
                select_text_of(&target);
                announcer.say(format!(
                    "{what} is selected: press Ctrl+C, or ⌘C, to copy it"
                ));
            }
        });
    };
    view! {
        <button
            type="button"
            class="button button-small copy-button"
            hidden=move || !hydrated.get()
            on:click=copy
        >
            {move || if copied.get() { "Copied".to_string() } else { label.clone() }}
            <span class="visually-hidden">{hidden_words}</span>
        </button>
    }
}
