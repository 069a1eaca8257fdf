//! One page per file.

pub mod home;
pub mod not_found;
pub mod sign_in;
pub mod workshop;
