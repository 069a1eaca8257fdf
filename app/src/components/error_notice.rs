//! A friendly box for an error that ended a page: what happened, and the way back.

use leptos::prelude::*;

use wire::error::AppError;

/// A friendly box for an error, with a way back home.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let title = match &error {
        AppError::NotFound(_) => "Not found",
        AppError::Unauthenticated => "Sign-in needed",
        AppError::Forbidden => "Not allowed",
        _ => "Something went wrong",
    };
    view! {
        <section class="notice notice-error" role="alert">
            <h2>{title}</h2>
            <p>{error.to_string()}</p>
            <p>
                <a href="/">"Back to all workshops"</a>
            </p>
        </section>
    }
}
