//! Reusable pieces of the pages.

pub mod claim_panel;
pub mod error_notice;
pub mod layout;
pub mod response_status;
pub mod time_zone;
