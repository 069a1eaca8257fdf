//! Server functions, grouped by domain. Each is a public HTTP endpoint: it checks its
//! caller and its input on the server and returns [`wire::error::AppError`].

pub mod admin;
#[cfg(feature = "ssr")]
pub mod caller;
pub mod claims;
pub mod site;
pub mod workshops;
