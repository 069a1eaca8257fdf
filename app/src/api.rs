//! Server functions, grouped by domain. Each is a public HTTP endpoint: it checks its
//! caller and its input on the server and returns [`crate::error::AppError`].

pub mod admin;
pub mod claims;
pub mod site;
pub mod workshops;
