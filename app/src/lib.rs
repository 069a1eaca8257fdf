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
pub mod hydration;
#[cfg(test)]
mod layering;
pub mod routes;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::components::layout::Layout;
use crate::hydration::IslandScripts;
use crate::routes::{
    admin_home::AdminHomePage, admin_workshop::AdminWorkshopPage, home::HomePage,
    not_found::NotFoundPage, projector::ProjectorPage, sign_in::SignInPage, workshop::WorkshopPage,
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
                <IslandScripts options />
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
    view! {
        <Title text="Workshop Key Minter" />
        <Router>
            <Layout>
                <Routes fallback=NotFoundPage>
                    // Rendered on the server only; what reacts on a page is an island
                    // (see `hydration`), and islands no attendee needs are lazy.
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/w/:slug") view=WorkshopPage ssr=SsrMode::Async />
                    <Route path=path!("/w/:slug/qr") view=ProjectorPage ssr=SsrMode::Async />
                    <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminHomePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/:slug") view=AdminWorkshopPage ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
