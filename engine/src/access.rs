//! Who may administer what: global admins and a workshop's own `admins`, decided on the
//! server for every call (the request-reading half is `app/src/api/caller.rs`).

use crate::db::Attendee;
use crate::email::exact_address;
use crate::registry::Workshop;
use crate::state::AppState;

/// Global admins (`ADMIN_EMAILS`) and the workshop's own `admins`, by the exact verified
/// address (case-insensitive). Never by the normalised form: `orga+x@example.com` is not
/// `orga@example.com`'s stand-in, whatever one-key-per-person treats as one mailbox.
pub fn is_admin_of(state: &AppState, attendee: &Attendee, workshop: &Workshop) -> bool {
    let Some(email) = exact_address(&attendee.email) else {
        return false;
    };
    state.admin_emails.contains(&email) || workshop.admins.contains(&email)
}

/// Whether the caller administers any workshop at all (for the header's admin link).
pub fn is_admin_of_any(state: &AppState, attendee: &Attendee) -> bool {
    state
        .registry
        .listed(chrono::Utc::now())
        .iter()
        .any(|workshop| is_admin_of(state, attendee, workshop))
}
