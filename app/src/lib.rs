//! Shared UI and server functions of Workshop Key Minter.
//!
//! This is the only crate with the `ssr` and `hydrate` features. Everything that must
//! never reach the browser (database, workshop files, secrets) is the `engine` crate,
//! a dependency only with `ssr`; the server functions in [`api`] are thin shims over it.
//! The types both sides share are the `wire` crate.
// The admin page's view types nest deeper than the default limit of 128 allows.
#![recursion_limit = "256"]

pub mod api;
pub mod browser;
pub mod components;
#[cfg(test)]
mod layering;
pub mod routes;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

use crate::components::layout::Layout;
use crate::routes::{
    admin_home::AdminHomeRoute, admin_workshop::AdminWorkshopRoute, home::HomeRoute,
    not_found::NotFoundPage, projector::ProjectorRoute, sign_in::SignInRoute,
    workshop::WorkshopPage,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, once the page is hydrated.
    Effect::new(|_| browser::mark_hydrated());
    view! {
        <Title text="Workshop Key Minter" />
        <Router>
            <Layout>
                <Routes fallback=NotFoundPage>
                    // The claim page is in the main bundle: it is what attendees open.
                    // Every other page is a lazy route, its code in a chunk of its own.
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/w/:slug") view=WorkshopPage ssr=SsrMode::Async />
                    <Route path=path!("/w/:slug/qr") view={Lazy::<ProjectorRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin") view={Lazy::<AdminHomeRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/admin/:slug") view={Lazy::<AdminWorkshopRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
