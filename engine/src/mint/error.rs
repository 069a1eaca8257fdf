//! Why a claim did not end with a key, and what the attendee is told.

use crate::db::DbError;
use crate::email::mask_email;
use crate::guardrail::EnsureGuardrailError;
use crate::metrics::ClaimOutcome;
use crate::openrouter::OpenRouterError;
use wire::error::AppError;
use wire::model::provider_display_name;

#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error("claims open at {opens}")]
    NotOpenYet { opens: String },
    #[error("claims closed at {closed}")]
    Closed { closed: String },
    /// `email` is the attendee's own address, for their own page; this error's text
    /// (which logs carry) shows it masked only.
    #[error("{} is not in the allowed domains {allowed:?}", mask_email(.email))]
    DomainNotAllowed { allowed: Vec<String>, email: String },
    #[error("all {0} places are taken")]
    AttendeesFull(i64),
    #[error("the workshop budget is used up")]
    BudgetExhausted,
    /// The mailbox's key belongs to another sign-in that is not provably the same
    /// mailbox (an address normalised under older rules, say).
    #[error("this mailbox's key belongs to another sign-in ({provider})")]
    MailboxTaken {
        provider: String,
        masked_email: String,
    },
    /// The attendee's place is kept, and its key is not tried now: OpenRouter is held
    /// back (an outage, a rate limit) or this reservation's last try failed moments ago.
    /// The sweep finishes it; the page shows it when it is there.
    #[error("the place is kept; the key is tried again in {} s", retry_in.as_secs().max(1))]
    PlaceKept { retry_in: std::time::Duration },
    /// Another request holds the row's mint lease and did not finish in time.
    #[error("another request is still minting this key")]
    StillMinting,
    /// Another instance is preparing the workshop's guardrail and did not finish in time.
    #[error("another instance is still preparing the workshop guardrail")]
    GuardrailBusy,
    #[error("no reservation to finish")]
    NothingToFinish,
    /// The claim's task panicked or was cancelled at shutdown.
    #[error("the claim task stopped: {0}")]
    Crashed(String),
    #[error(transparent)]
    OpenRouter(#[from] OpenRouterError),
    #[error("database: {0}")]
    Database(#[from] DbError),
}

impl From<EnsureGuardrailError> for ClaimError {
    fn from(error: EnsureGuardrailError) -> Self {
        match error {
            EnsureGuardrailError::OpenRouter(error) => ClaimError::OpenRouter(error),
            EnsureGuardrailError::Database(error) => ClaimError::Database(error),
            EnsureGuardrailError::Busy => ClaimError::GuardrailBusy,
        }
    }
}

impl ClaimError {
    /// How this claim counts in `wkm_claims_total`.
    pub fn outcome(&self) -> ClaimOutcome {
        match self {
            ClaimError::NotOpenYet { .. }
            | ClaimError::Closed { .. }
            | ClaimError::DomainNotAllowed { .. }
            | ClaimError::AttendeesFull(_)
            | ClaimError::BudgetExhausted
            | ClaimError::MailboxTaken { .. } => ClaimOutcome::Refused,
            ClaimError::PlaceKept { .. }
            | ClaimError::StillMinting
            | ClaimError::GuardrailBusy
            | ClaimError::OpenRouter(_) => ClaimOutcome::Kept,
            ClaimError::NothingToFinish | ClaimError::Crashed(_) | ClaimError::Database(_) => {
                ClaimOutcome::Failed
            }
        }
    }

    /// The attendee-facing error. Internal causes are logged here, never sent.
    pub fn into_app_error(self, workshop_title: &str) -> AppError {
        match self {
            ClaimError::NotOpenYet { opens } => AppError::WindowClosed(format!(
                "Claims for “{workshop_title}” open at {opens}. Come back then."
            )),
            ClaimError::Closed { closed } => AppError::WindowClosed(format!(
                "Claims for “{workshop_title}” closed at {closed}."
            )),
            ClaimError::DomainNotAllowed { allowed, email } => {
                let list = allowed
                    .iter()
                    .map(|domain| format!("@{domain}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                AppError::DomainNotAllowed(format!(
                    "“{workshop_title}” is for {list} addresses, and you signed in as {email}. \
                     Sign out and sign in with an allowed address."
                ))
            }
            ClaimError::AttendeesFull(places) => AppError::SoldOut(format!(
                "All {places} places of “{workshop_title}” are taken. Keys are first come, first served."
            )),
            ClaimError::BudgetExhausted => AppError::SoldOut(format!(
                "The budget of “{workshop_title}” is used up: no more keys can be issued. \
                 Keys are first come, first served."
            )),
            ClaimError::MailboxTaken {
                provider,
                masked_email,
            } => AppError::MailboxTaken(format!(
                "This mailbox already claimed a key for “{workshop_title}”. Sign in with {} as \
                 {masked_email} to see it.",
                provider_display_name(&provider)
            )),
            ClaimError::StillMinting | ClaimError::GuardrailBusy => AppError::InProgress,
            ClaimError::PlaceKept { retry_in } => AppError::UpstreamUnavailable {
                retry_in_secs: (retry_in.as_secs_f64().ceil() as i64).max(1),
            },
            ClaimError::NothingToFinish => AppError::NotFound("That claim".into()),
            ClaimError::OpenRouter(error) => {
                tracing::warn!(%error, "claim failed at OpenRouter");
                AppError::from(error)
            }
            ClaimError::Crashed(error) => {
                tracing::error!(%error, "claim task stopped");
                AppError::Internal
            }
            ClaimError::Database(error) => {
                tracing::error!(%error, "claim failed in the database");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ClaimError;

    #[test]
    fn a_refused_domain_is_logged_with_the_address_masked() {
        let error = ClaimError::DomainNotAllowed {
            allowed: vec!["example.org".into()],
            email: "ada.lovelace@gmail.com".into(),
        };
        let logged = error.to_string();
        assert!(!logged.contains("ada.lovelace"), "{logged}");
        assert!(logged.contains("gmail.com"), "{logged}");
        // The attendee's own page still names the address they signed in with.
        let shown = format!("{:?}", error.into_app_error("Agents"));
        assert!(shown.contains("ada.lovelace@gmail.com"), "{shown}");
    }
}
