//! `/signin`: the ways to sign in this deployment offers, the explanation of a failed
//! attempt (the auth routes redirect here with `?error=<code>`), and the demo form in
//! demo mode. Every control is a plain link or form, so signing in works before the
//! page has hydrated. Provider links carry `rel="external"` so the client-side router
//! lets the browser load `/auth/…` from the server instead of rendering a 404.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::site::{get_sign_in_methods, SignInMethodsInfo};
use crate::components::layout::use_site_info;

/// The sign-in page's explanation for each code of `server::auth::SignInError`.
pub fn sign_in_error_text(code: &str) -> &'static str {
    match code {
        "denied" => "Sign-in was cancelled at the provider, so we did not get your email address. Try again when you are ready.",
        "state" => "That sign-in link did not belong to this browser or was already used. Please start again from this page.",
        "expired" => "The sign-in took too long or was already completed. Please start again.",
        "provider" => "The sign-in provider could not be reached just now. Please try again in a minute, or use the other provider.",
        "invalid" => "The provider's answer could not be verified, so we did not sign you in. Please try again.",
        "unverified" => "Your Google account's email address is not verified. Verify it with Google, then sign in again.",
        "no-verified-email" => "Your GitHub account has no verified primary email address. Add and verify one under GitHub → Settings → Emails, make it primary, then sign in again.",
        "not-enabled" => "That way of signing in is not enabled here.",
        _ => "Sign-in did not work. Please try again.",
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let error = move || query.read().get("error");
    let site = use_site_info();
    let methods = Resource::new_blocking(|| (), |_| get_sign_in_methods());
    view! {
        <Title text="Sign in — Workshop Key Minter" />
        <section class="sign-in">
            <h1>"Sign in"</h1>
            {move || error().map(|code| view! {
                <div class="notice notice-error" role="alert" data-error=code.clone()>
                    <p>{sign_in_error_text(&code)}</p>
                </div>
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
                "Use " <code>"organiser@example.com"</code> " to see the demo workshop as its organiser."
            </p>
            <input type="hidden" name="next" value=next />
            <label>"Name" <input name="name" required maxlength="80" autocomplete="name" /></label>
            <label>"Email" <input name="email" type="email" required maxlength="254" autocomplete="email" /></label>
            <button type="submit" class="button">"Sign in (demo)"</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::sign_in_error_text;

    #[test]
    fn every_server_error_code_has_its_own_explanation() {
        let codes = [
            "denied",
            "state",
            "expired",
            "provider",
            "invalid",
            "unverified",
            "no-verified-email",
            "not-enabled",
        ];
        let fallback = sign_in_error_text("?");
        for code in codes {
            assert_ne!(sign_in_error_text(code), fallback, "{code}");
        }
    }
}
