//! The frame around every page: the demo banner (inside a landmark), the header with
//! the signed-in person and sign-out, the main content, the footer. It fetches the site
//! facts once per page and shares them with the pages through the context.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::site::get_site_info;
use wire::error::AppError;
use wire::local_path::safe_next_path;
use wire::model::SiteInfo;

/// The site facts and the signed-in visitor, fetched once per page by [`Layout`] and
/// shared with the pages through the context.
pub type SiteInfoResource = Resource<Result<SiteInfo, AppError>>;

pub fn use_site_info() -> SiteInfoResource {
    expect_context::<SiteInfoResource>()
}

/// `/signin?next=<here>`: the sign-in link that brings the visitor back to this page.
pub fn sign_in_href(next_path: &str) -> String {
    let next_path = safe_next_path(Some(next_path));
    let query = serde_urlencoded::to_string([("next", next_path.as_str())]).unwrap_or_default();
    format!("/signin?{query}")
}

/// Header, demo banner and footer around every page.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let site: SiteInfoResource = Resource::new_blocking(|| (), |_| get_site_info());
    provide_context(site);
    // The demo banner sits inside the header (the page's banner landmark), so screen
    // reader users meet it where they meet the site's name.
    view! {
        <header class="site-top">
            <Suspense>
                {move || Suspend::new(async move {
                    let demo = site.await.map(|info| info.demo_mode).unwrap_or(false);
                    demo.then(|| view! {
                        <p class="demo-banner">
                            "Demo mode: keys come from a built-in OpenRouter simulator and sign-in is simulated. Nothing here is real."
                        </p>
                    })
                })}
            </Suspense>
            <div class="site-header">
                <a class="brand" href="/">"Workshop Key Minter"</a>
                <Suspense>
                    {move || Suspend::new(async move { view! { <AccountArea info=site.await.ok() /> } })}
                </Suspense>
            </div>
        </header>
        <main class="content">{children()}</main>
        <footer class="site-footer">
            "Keys are budget-capped, restricted to the workshop's models and expire on their own."
        </footer>
    }
}

/// Who is signed in, with a sign-out button; or a sign-in link that returns here.
#[component]
fn AccountArea(info: Option<SiteInfo>) -> impl IntoView {
    let location = use_location();
    let here = move || {
        let path = location.pathname.get();
        let search = location.search.get();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    match info.and_then(|info| info.user) {
        Some(user) => view! {
            <div class="account" data-signed-in="true">
                {user.is_admin.then(|| view! { <a class="admin-link" href="/admin">"Admin"</a> })}
                <span class="who" title=user.email.clone()>
                    {user.display_name.clone()}
                    <small class="provider">{format!(" via {}", user.provider)}</small>
                </span>
                // A plain form: signing out works before hydration and without JavaScript.
                <form method="post" action="/auth/signout" class="inline">
                    <button type="submit" class="link-button">"Sign out"</button>
                </form>
            </div>
        }
        .into_any(),
        // On the sign-in page itself the header offers no second way in.
        None => view! {
            <div class="account" data-signed-in="false">
                <Show when=move || location.pathname.get() != "/signin">
                    <a class="sign-in-link" href=move || sign_in_href(&here())>"Sign in"</a>
                </Show>
            </div>
        }
        .into_any(),
    }
}
