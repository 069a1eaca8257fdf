//! Reusable pieces of the pages.

pub mod admin;
pub mod budget;
pub mod claim_area;
pub mod copy_button;
pub mod error_notice;
pub mod key_card;
pub mod layout;
pub mod live_region;
pub mod page_state;
pub mod qr_code;
pub mod relative_time;
pub mod response_status;
pub mod snippet_tabs;
pub mod time_zone;
