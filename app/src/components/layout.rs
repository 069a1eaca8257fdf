use leptos::prelude::*;

use crate::api::site::get_site_info;

/// Header, demo banner and footer around every page.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let site = Resource::new_blocking(|| (), |_| get_site_info());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let demo = site.await.map(|info| info.demo_mode).unwrap_or(false);
                demo.then(|| view! {
                    <div class="demo-banner" role="note">
                        "Demo mode: keys come from a built-in OpenRouter simulator and sign-in is simulated. Nothing here is real."
                    </div>
                })
            })}
        </Suspense>
        <header class="site-header">
            <a class="brand" href="/">"Workshop Key Minter"</a>
        </header>
        <main class="content">{children()}</main>
        <footer class="site-footer">
            "Keys are budget-capped, restricted to the workshop's models and expire on their own."
        </footer>
    }
}
