//! Everything the workshop page (`/w/<slug>`) shows, in one answer: the workshop, how
//! full it is, who is looking, and where their claim stands. One server call renders any
//! of the page's states on the server and refreshes it after hydration.

use serde::{Deserialize, Serialize};

use super::{CurrentUser, MyKey, SignInMethodsInfo, Usd, WorkshopSummary};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimPage {
    pub workshop: WorkshopSummary,
    pub figures: WorkshopFigures,
    /// The signed-in person; `None` for a visitor.
    pub viewer: Option<CurrentUser>,
    /// How a visitor can sign in here (and claim in the same step).
    pub sign_in: SignInMethodsInfo,
    pub claim: ClaimView,
    /// The workshop's marketing question, when it asks one, and the viewer's answer.
    pub marketing: Option<MarketingChoice>,
    /// The server's "now" (UTC seconds), so a countdown does not trust the viewer's clock.
    pub now: i64,
}

/// How full a workshop is. Public: the projector page shows it to the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopFigures {
    pub claimed: i64,
    /// `max_attendees`, when the workshop has one.
    pub places: Option<i64>,
    /// The sum of the per-key limits handed out.
    pub committed: Usd,
    /// The workshop's cap (`limit_usd`).
    pub limit: Usd,
    pub sold_out: Option<SoldOut>,
}

impl WorkshopFigures {
    pub fn places_left(&self) -> Option<i64> {
        self.places.map(|places| (places - self.claimed).max(0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SoldOut {
    /// Every one of `max_attendees` places is taken.
    Places,
    /// The cap cannot cover one more key.
    Budget,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketingChoice {
    /// The workshop file's `marketing_opt_in_text`.
    pub text: String,
    /// Whether the viewer has opted in (from this workshop).
    pub opted_in: bool,
}

/// Where the viewer's claim stands: one variant per state of the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimView {
    /// Claims have not opened yet.
    NotOpenYet,
    /// Open and signed out: sign in, and claim in the same step.
    SignIn,
    /// Open, signed in, no key yet: the claim button.
    Claimable,
    /// The signed-in address is not of the workshop's domains.
    DomainNotAllowed { allowed: Vec<String> },
    /// No key, and none left.
    SoldOut(SoldOut),
    /// Claims closed without a key.
    Closed,
    /// A place is reserved and its key is on the way: being minted right now, or kept
    /// while OpenRouter does not answer (`retrying`), finished by the server either way.
    /// `retry_in_secs`: when the server's next try goes out, if OpenRouter is known to be
    /// failing (the attendee never has to retry: the page shows the key when it is there).
    Preparing {
        retrying: bool,
        retry_in_secs: Option<u64>,
    },
    /// The mailbox's key belongs to another sign-in; the message says which.
    MailboxTaken { message: String },
    /// The key, whatever its health.
    Key(MyKey),
}
