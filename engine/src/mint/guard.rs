//! Step 1 of the claim: may this attendee claim a key of this workshop right now?
//! Checked on the server before anything is written or sent to OpenRouter.

use chrono::{DateTime, Utc};

use super::ClaimError;
use crate::db::Attendee;
use crate::email::email_domain;
use crate::registry::Workshop;
use crate::time_format::workshop_time;
use wire::model::WorkshopState;

/// The window and the email domain. A verified email is a given: sign-in refuses
/// unverified addresses, so every attendee row holds a verified one.
pub fn check_claim_allowed(
    workshop: &Workshop,
    attendee: &Attendee,
    now: DateTime<Utc>,
) -> Result<(), ClaimError> {
    match workshop.state_at(now) {
        WorkshopState::Upcoming => {
            return Err(ClaimError::NotOpenYet {
                opens: workshop_time(workshop.claims_open_at, workshop.timezone).in_workshop_zone,
            })
        }
        WorkshopState::Closed => {
            return Err(ClaimError::Closed {
                closed: workshop_time(workshop.claims_close_at, workshop.timezone).in_workshop_zone,
            })
        }
        WorkshopState::Open => {}
    }
    if !workshop.allowed_email_domains.is_empty() {
        let domain = email_domain(&attendee.email_normalized).unwrap_or_default();
        if !workshop.allowed_email_domains.contains(&domain) {
            return Err(ClaimError::DomainNotAllowed {
                allowed: workshop.allowed_email_domains.clone(),
                email: attendee.email.clone(),
            });
        }
    }
    Ok(())
}
