//! Sets the HTTP status of the page being rendered (a 404 page must answer 404). Server
//! functions do not use this: their errors get their status in one place, the server's
//! `server_fn_status` middleware. In the browser the status is meaningless: a no-op.

pub fn set_response_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(code) {
            response.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
