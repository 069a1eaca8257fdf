//! The browser entry point. Nothing else lives here: everything the browser runs is in
//! the `app` crate, as its islands. The page's script (`app::hydration`) calls
//! `hydrate` once the bundle is loaded, then hydrates each island on the page.

// Nothing here names the `app` crate, yet its islands' hydration functions (exported with
// `#[wasm_bindgen]`) must be in the bundle: `extern crate` links it all the same.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
