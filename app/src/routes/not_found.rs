//! Any unknown path: a real 404 with the way back home.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::error_notice::ErrorNotice;
use crate::components::response_status::set_response_status;
use wire::error::AppError;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_response_status(404);
    view! {
        <Title text="Not found — Workshop Key Minter" />
        <ErrorNotice error=AppError::NotFound("That page".into()) />
    }
}
