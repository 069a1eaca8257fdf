//! Sets the HTTP status of the response being rendered or of the server-function reply.
//! The only place that knows about `leptos_axum`'s response options; in the browser the
//! status is meaningless and these are no-ops.

use crate::error::AppError;

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

/// Passes a server function's result through, giving an error its HTTP status.
pub fn respond_with<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result {
        set_response_status(error.status_code());
    }
    result
}
