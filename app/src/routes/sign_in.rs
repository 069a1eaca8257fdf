//! `/signin`: the ways to sign in this deployment offers, the explanation of a failed
//! attempt (the auth routes redirect here with `?error=<code>`), and the demo form in
//! demo mode. Every control is a plain link or form, so signing in works before the
//! page has hydrated; the page has no island of its own (it loads only the bundle every
//! page shares, cached from then on). Provider links
//! carry `rel="external"`: they lead to the server's `/auth/…` routes, not to a page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::site::get_sign_in_methods;
use crate::components::layout::use_site_info;
use wire::error::AppError;
use wire::local_path::safe_next_path;
use wire::model::{SignInErrorCode, SignInMethodsInfo};

#[component]
pub fn SignInPage() -> impl IntoView {
    let methods: Resource<Result<SignInMethodsInfo, AppError>> =
        Resource::new(|| (), |_| get_sign_in_methods());
    let query = use_query_map();
    // Input: through the one safe-local-path function before it becomes any link.
    let next = move || safe_next_path(query.read().get("next").as_deref());
    let error = move || query.read().get("error");
    let site = use_site_info();
    view! {
        <Title text="Sign in — Workshop Key Minter" />
        <section class="sign-in">
            <h1>"Sign in"</h1>
            {move || error().map(|code| {
                let explanation = SignInErrorCode::parse(&code)
                    .map(SignInErrorCode::explanation)
                    .unwrap_or("Sign-in did not work. Please try again.");
                view! {
                    <div class="notice notice-error" role="alert" data-error=code.clone()>
                        <p>{explanation}</p>
                    </div>
                }
            })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let user = site.await.ok().and_then(|info| info.user);
                    let methods = methods.await;
                    let next = next();
                    match (user, methods) {
                        (Some(user), _) => view! {
                            <p class="already" data-signed-in="true">
                                "You are signed in as " <strong>{user.email}</strong> ". "
                                <a href=next>"Continue"</a>
                            </p>
                        }.into_any(),
                        (None, Ok(methods)) => view! { <SignInChoices methods next /> }.into_any(),
                        (None, Err(error)) => view! { <p class="notice notice-error">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SignInChoices(methods: SignInMethodsInfo, next: String) -> impl IntoView {
    let start = |provider: &str| {
        let query = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
        format!("/auth/{provider}/start?{query}")
    };
    let nothing = !methods.google && !methods.github && !methods.demo;
    view! {
        <p class="lead">"We only use your verified email address, to give each person one key."</p>
        <div class="providers">
            {methods.google.then(|| view! { <a class="button provider-google" rel="external" href=start("google")>"Continue with Google"</a> })}
            {methods.github.then(|| view! { <a class="button provider-github" rel="external" href=start("github")>"Continue with GitHub"</a> })}
        </div>
        {methods.demo.then(|| view! { <DemoSignInForm next=next.clone() /> })}
        {nothing.then(|| view! {
            <p class="notice">"No way of signing in is configured. The organiser needs to set Google or GitHub credentials."</p>
        })}
    }
}

/// Demo mode only: sign in as anybody. The server refuses it outside demo mode too.
#[component]
fn DemoSignInForm(next: String) -> impl IntoView {
    view! {
        <form class="demo-sign-in" method="post" action="/auth/demo">
            <h2>"Demo sign-in"</h2>
            <p class="hint">
                "Demo mode: no password and no real provider. Pick any name and email. "
                "Sign in as " <code>"organiser@example.com"</code> " to open the demo workshop's admin page, "
                <a href="/admin">"/admin"</a> "."
            </p>
            <input type="hidden" name="next" value=next />
            <label>"Name" <input name="name" required maxlength="80" autocomplete="name" /></label>
            <label>"Email" <input name="email" type="email" required maxlength="254" autocomplete="email" /></label>
            <button type="submit" class="button">"Sign in (demo)"</button>
        </form>
    }
}
