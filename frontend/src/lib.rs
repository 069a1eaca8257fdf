//! The browser entry point: hydrates the server-rendered page. Nothing else lives here;
//! everything the browser runs is in the `app` crate.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        // Split-off code the server-rendered page already shows is loaded first, and
        // lazy routes load their chunk before hydrating their part of the page.
        app::components::claim_area::load_key_card_code_if_shown().await;
        leptos::mount::hydrate_lazy(app::App);
    });
}
