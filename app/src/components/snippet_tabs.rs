//! Ready-to-run snippets in tabs (curl, Python, JavaScript, .env), each with a copy
//! button. Keyboard: the arrow keys move between tabs (the WAI-ARIA tabs pattern).
//! Before hydration every panel is shown, one after the other, each under its heading.
//! What is shown uses the masked key unless the key is revealed; what is copied always
//! carries the real key.

use leptos::prelude::*;

use super::copy_button::CopyButton;
use wire::model::snippets::SnippetKind;

#[component]
pub fn SnippetTabs(
    key: String,
    masked: String,
    model: String,
    /// Whether the key card shows the key in full right now.
    revealed: Signal<bool>,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let selected = RwSignal::new(0usize);
    let count = SnippetKind::ALL.len();
    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        let next = match event.key().as_str() {
            "ArrowRight" => (selected.get_untracked() + 1) % count,
            "ArrowLeft" => (selected.get_untracked() + count - 1) % count,
            "Home" => 0,
            "End" => count - 1,
            _ => return,
        };
        event.prevent_default();
        selected.set(next);
        let _ = crate::browser::focus(&format!("snippet-tab-{}", SnippetKind::ALL[next].id()));
    };
    let tabs = SnippetKind::ALL
        .iter()
        .enumerate()
        .map(|(index, kind)| {
            let id = kind.id();
            view! {
                <button
                    type="button"
                    role="tab"
                    class="tab"
                    id=format!("snippet-tab-{id}")
                    aria-controls=format!("snippet-{id}")
                    aria-selected=move || (selected.get() == index).to_string()
                    tabindex=move || if selected.get() == index { "0" } else { "-1" }
                    on:click=move |_| selected.set(index)
                >
                    {kind.label()}
                </button>
            }
        })
        .collect_view();
    let panels = SnippetKind::ALL
        .iter()
        .enumerate()
        .map(|(index, kind)| {
            let id = kind.id();
            let full = kind.render(&key, &model);
            let shown_masked = kind.render(&masked, &model);
            let shown = {
                let full = full.clone();
                move || if revealed.get() { full.clone() } else { shown_masked.clone() }
            };
            let code_id = format!("snippet-code-{id}");
            view! {
                <section
                    class="snippet"
                    role=move || hydrated.get().then_some("tabpanel")
                    id=format!("snippet-{id}")
                    aria-labelledby=move || hydrated.get().then(|| format!("snippet-tab-{id}"))
                    hidden=move || hydrated.get() && selected.get() != index
                >
                    <h4 class="snippet-title" hidden=move || hydrated.get()>{kind.label()}</h4>
                    <pre tabindex="0"><code id=code_id.clone() data-snippet=id>{shown}</code></pre>
                    <CopyButton text=Signal::stored(full) target=code_id what=format!("the {} snippet", kind.label()) />
                </section>
            }
        })
        .collect_view();
    view! {
        <div class="snippets">
            <div class="tabs" role="tablist" aria-label="Ways to use your key" hidden=move || !hydrated.get() on:keydown=on_keydown>
                {tabs}
            </div>
            {panels}
        </div>
    }
}
