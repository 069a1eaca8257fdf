//! One page per file.

pub mod admin_home;
pub mod admin_workshop;
pub mod home;
pub mod not_found;
pub mod projector;
pub mod sign_in;
pub mod workshop;
