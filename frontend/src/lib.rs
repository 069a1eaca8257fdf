//! The browser entry point: hydrates the server-rendered page. Nothing else lives here;
//! everything the browser runs is in the `app` crate.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
