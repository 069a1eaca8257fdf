//! Facts about the running site and the visitor that every page needs, in one call.

use leptos::prelude::*;

use wire::error::AppError;
use wire::model::{SignInMethodsInfo, SiteInfo};

#[server(endpoint = "get_site_info")]
pub async fn get_site_info() -> Result<SiteInfo, AppError> {
    use crate::api::caller::{app_state, current_attendee};
    use engine::claims::current_user;

    let state = app_state()?;
    let user = current_attendee(&state)
        .await?
        .map(|attendee| current_user(&state, attendee));
    Ok(SiteInfo {
        demo_mode: state.demo_mode,
        user,
    })
}

#[server(endpoint = "get_sign_in_methods")]
pub async fn get_sign_in_methods() -> Result<SignInMethodsInfo, AppError> {
    let methods = crate::api::caller::app_state()?.sign_in_methods;
    Ok(SignInMethodsInfo {
        google: methods.google,
        github: methods.github,
        demo: methods.demo,
    })
}
