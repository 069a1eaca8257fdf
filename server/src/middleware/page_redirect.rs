//! A page that redirects while it renders (leptos_router's `<Redirect>`: the admin page
//! for someone signed out, say) answers `303 See Other` with an empty body, whoever
//! asks. leptos_axum sets a redirect status only for clients whose `Accept` names HTML
//! and otherwise answers `200` with a `Location` header, which browsers happen to follow
//! but other clients and caches do not — and the body would be a rendered page.

use axum::{
    body::Body,
    extract::Request,
    http::{header, Method, StatusCode},
    middleware::Next,
    response::Response,
};

/// What leptos_axum adds for its own client when it did not set a redirect status.
const SERVER_FN_REDIRECT: &str = "serverfnredirect";

pub async fn redirect_pages_with_303(request: Request, next: Next) -> Response {
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD)
        && !request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let redirected_while_rendering = response.headers().contains_key(header::LOCATION)
        && (response.status().is_success() || response.status() == StatusCode::FOUND);
    if is_page && redirected_while_rendering {
        *response.status_mut() = StatusCode::SEE_OTHER;
        let headers = response.headers_mut();
        headers.remove(SERVER_FN_REDIRECT);
        headers.remove(header::CONTENT_LENGTH);
        headers.remove(header::CONTENT_TYPE);
        *response.body_mut() = Body::empty();
    }
    response
}
