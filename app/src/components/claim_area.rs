//! The part of the workshop page that changes with the viewer: one view per state of
//! their claim (`ClaimView`), each with its own words and the next step. Every state is
//! rendered on the server and every action is a plain form, so all of it works before
//! hydration; after it, the claim happens in place and a key being prepared shows up
//! without a reload.

use leptos::lazy;
use leptos::prelude::*;

use super::key_card::KeyCard;
use super::relative_time::{countdown_text, relative, Now};
use crate::api::claims::{ClaimKey, SetMarketingOptIn};
use crate::components::time_zone::TimeText;
use wire::model::{
    ClaimPage, ClaimView, MarketingChoice, MyKey, SignInMethodsInfo, SoldOut, WorkshopFigures,
    WorkshopSummary,
};

/// The page-level actions, created once at the top of the page (a resource or action
/// first created inside a suspended branch is not found again during hydration).
#[derive(Clone, Copy)]
pub struct ClaimActions {
    pub claim: ServerAction<ClaimKey>,
    pub opt_in: ServerAction<SetMarketingOptIn>,
}

#[component]
pub fn ClaimArea(
    page: ClaimPage,
    actions: ClaimActions,
    now: Now,
    /// The key card, loaded with the page when the viewer has a key.
    key_card: Option<AnyView>,
    refetch: Callback<()>,
) -> impl IntoView {
    let slug = page.workshop.slug.clone();
    let marketing = page.marketing.clone();
    let signed_in = page.viewer.is_some();
    let view = match page.claim.clone() {
        ClaimView::NotOpenYet => view! { <NotOpenYet page=page.clone() now refetch /> }.into_any(),
        ClaimView::SignIn => view! {
            <SignInAndClaim slug=slug.clone() methods=page.sign_in marketing=marketing.clone() />
        }
        .into_any(),
        ClaimView::Claimable => view! {
            <ClaimForm slug=slug.clone() marketing=marketing.clone() action=actions.claim />
        }
        .into_any(),
        ClaimView::DomainNotAllowed { allowed } => {
            let list = allowed.iter().map(|domain| format!("@{domain}")).collect::<Vec<_>>().join(", ");
            let email = page.viewer.as_ref().map(|viewer| viewer.email.clone()).unwrap_or_default();
            view! {
                <div class="notice notice-warn" data-state="domain-not-allowed">
                    <h2>"This workshop is for " {list.clone()} " addresses"</h2>
                    <p>"You are signed in as " <strong>{email}</strong> ". Sign out, then sign in with your " {list} " address to claim a key."</p>
                    <SignOutButton />
                </div>
            }
            .into_any()
        }
        ClaimView::SoldOut(reason) => view! { <SoldOutNotice reason figures=page.figures /> }.into_any(),
        ClaimView::Closed => view! {
            <div class="notice" data-state="closed">
                <h2>"Claims are closed"</h2>
                <p>"Claims closed " <TimeText time=page.workshop.claims_close_at.clone() />
                    ". " {if signed_in { "You did not claim a key in time." } else { "If you claimed a key, sign in to see it." }}
                </p>
                <p>"Ask the organiser if you still need one."</p>
            </div>
        }
        .into_any(),
        ClaimView::Preparing {
            retrying,
            retry_in_secs,
        } => view! { <Preparing retrying retry_in_secs refetch /> }.into_any(),
        ClaimView::MailboxTaken { message } => view! {
            <div class="notice notice-warn" data-state="mailbox-taken">
                <h2>"Signed in another way?"</h2>
                <p>{message}</p>
                <SignOutButton />
            </div>
        }
        .into_any(),
        ClaimView::Key(_) => view! {
            {key_card}
            {marketing.clone().map(|choice| view! { <MarketingToggle slug=slug.clone() choice action=actions.opt_in /> })}
        }
        .into_any(),
    };
    let refused = move || match actions.claim.value().get() {
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    view! {
        <div class="claim-area">
            {view}
            <p class="claim-refused" role="alert">{refused}</p>
        </div>
    }
}

/// The key card, whose code (snippets, budget, copying) comes in a chunk of its own with
/// `cargo leptos build --split`: a visitor without a key never downloads it. The page
/// awaits it together with its data, so hydration waits for the chunk.
/// Loads the key card's code chunk before hydration when the server-rendered page shows
/// a key card. Hydration walks the server's HTML in one synchronous pass: a `Suspend`
/// still waiting for a chunk there would expect an empty slot where the card is.
pub async fn load_key_card_code_if_shown() {
    if crate::browser::has_element(KEY_CARD_ID) {
        #[cfg(feature = "hydrate")]
        __preload_key_card().await;
    }
}

/// The key card's element id (focus moves there after a claim).
pub const KEY_CARD_ID: &str = "key-card";

#[lazy]
pub async fn key_card(key: MyKey, workshop: WorkshopSummary, now: Now) -> AnyView {
    view! { <KeyCard key workshop now /> }.into_any()
}

/// Upcoming: when it opens, in both zones after hydration, and a countdown that turns
/// into the claim when it reaches zero.
#[component]
fn NotOpenYet(page: ClaimPage, now: Now, refetch: Callback<()>) -> impl IntoView {
    let opens = page.workshop.claims_open_at.unix;
    let left = move || opens - now.seconds.get();
    Effect::new(move |_| {
        if left() <= 0 {
            refetch.run(());
        }
    });
    view! {
        <div class="notice notice-info" data-state="upcoming">
            <h2>"Claims open " <TimeText time=page.workshop.claims_open_at.clone() /></h2>
            <p class="countdown" aria-live="off">
                "Opens " {move || relative(now.seconds.get(), opens)}
                <span class="countdown-clock" aria-hidden="true">" · " {move || countdown_text(left())}</span>
            </p>
            <p>"Keep this page open: the claim appears here the moment claims open."</p>
        </div>
    }
}

/// Open and signed out: one click signs in and claims (the provider's consent screen
/// aside). The marketing question, when asked, sits next to it, unticked.
#[component]
fn SignInAndClaim(
    slug: String,
    methods: SignInMethodsInfo,
    marketing: Option<MarketingChoice>,
) -> impl IntoView {
    let next = format!("/w/{slug}");
    let opt_in = move || {
        marketing
            .clone()
            .map(|choice| view! { <OptInCheckbox text=choice.text /> })
    };
    let default_action = if methods.google {
        "/auth/google/start"
    } else {
        "/auth/github/start"
    };
    let providers = (methods.google || methods.github).then(|| {
        view! {
            <form class="claim-form" method="post" action=default_action>
                <input type="hidden" name="claim" value=slug.clone() />
                <input type="hidden" name="next" value=next.clone() />
                {opt_in.clone()()}
                <div class="providers">
                    {methods.google.then(|| view! {
                        <button type="submit" class="button provider-google" formaction="/auth/google/start">
                            "Sign in with Google and claim"
                        </button>
                    })}
                    {methods.github.then(|| view! {
                        <button type="submit" class="button provider-github" formaction="/auth/github/start">
                            "Sign in with GitHub and claim"
                        </button>
                    })}
                </div>
            </form>
        }
    });
    let demo = methods.demo.then(|| {
        view! {
            <form class="claim-form demo-sign-in" method="post" action="/auth/demo">
                <p class="hint">"Demo mode: no password and no real provider. Pick any name and email."</p>
                <input type="hidden" name="claim" value=slug.clone() />
                <input type="hidden" name="next" value=next.clone() />
                <label>"Name" <input name="name" required maxlength="80" autocomplete="name" /></label>
                <label>"Email" <input name="email" type="email" required maxlength="254" autocomplete="email" /></label>
                {opt_in.clone()()}
                <button type="submit" class="button">"Sign in and claim"</button>
            </form>
        }
    });
    view! {
        <div class="sign-in-to-claim" data-state="signed-out">
            <h2>"Get your key"</h2>
            <p>"Sign in and your key is ready in seconds. We only use your verified email address, to give each person one key."</p>
            {providers}
            {demo}
        </div>
    }
}

/// Open and signed in without a key: the claim button.
#[component]
fn ClaimForm(
    slug: String,
    marketing: Option<MarketingChoice>,
    action: ServerAction<ClaimKey>,
) -> impl IntoView {
    let pending = action.pending();
    view! {
        <div class="claim" data-state="claimable">
            <h2>"Get your key"</h2>
            <ActionForm action attr:class="claim-form">
                <input type="hidden" name="slug" value=slug />
                {marketing.map(|choice| view! { <OptInCheckbox text=choice.text /> })}
                <button type="submit" class="button button-large" disabled=move || pending.get()>
                    {move || if pending.get() { "Claiming…" } else { "Claim my key" }}
                </button>
            </ActionForm>
        </div>
    }
}

#[component]
fn OptInCheckbox(text: String) -> impl IntoView {
    view! {
        <label class="opt-in">
            <input type="checkbox" name="marketing_opt_in" value="on" />
            <span>{text} " " <span class="muted">"(optional; your key does not depend on it)"</span></span>
        </label>
    }
}

/// After the claim: the choice made, and a way to change it.
#[component]
fn MarketingToggle(
    slug: String,
    choice: MarketingChoice,
    action: ServerAction<SetMarketingOptIn>,
) -> impl IntoView {
    let opted_in = move || match action.value().get() {
        Some(Ok(now)) => now,
        _ => choice.opted_in,
    };
    let text = choice.text.clone();
    view! {
        <div class="marketing" data-opted-in=move || opted_in().to_string()>
            <p>
                {move || if opted_in() { "You said yes to: " } else { "You said no to: " }}
                <q>{text.clone()}</q>
            </p>
            <ActionForm action attr:class="inline">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="opted_in" value=move || (!opted_in()).to_string() />
                <button type="submit" class="button button-small button-secondary">
                    {move || if opted_in() { "Withdraw my yes" } else { "Say yes" }}
                </button>
            </ActionForm>
        </div>
    }
}

#[component]
fn SoldOutNotice(reason: SoldOut, figures: WorkshopFigures) -> impl IntoView {
    let words = match reason {
        SoldOut::Places => format!(
            "All {} places are taken. Keys were first come, first served.",
            figures.places.unwrap_or(figures.claimed)
        ),
        SoldOut::Budget => "The workshop's budget is used up: no more keys can be issued. Keys were first come, first served.".to_string(),
    };
    view! {
        <div class="notice notice-warn" data-state="sold-out">
            <h2>"No keys left"</h2>
            <p>{words}</p>
            <p>"Ask the organiser: they may free a place."</p>
        </div>
    }
}

/// A place is kept and its key is on the way; the page asks again every two seconds and
/// shows the key when it is there.
#[component]
fn Preparing(retrying: bool, retry_in_secs: Option<u64>, refetch: Callback<()>) -> impl IntoView {
    Effect::new(move |_| {
        if let Ok(handle) =
            set_interval_with_handle(move || refetch.run(()), std::time::Duration::from_secs(2))
        {
            on_cleanup(move || handle.clear());
        }
    });
    let words = match (retrying, retry_in_secs) {
        (true, Some(secs)) => format!(
            "OpenRouter is not answering right now. Your place is kept: we try again in about {secs} s, and your key appears here as soon as OpenRouter is back. Nothing to do on your side."
        ),
        (true, None) => "OpenRouter is not answering right now. Your place is kept: we keep trying, and your key appears here as soon as OpenRouter is back. Nothing to do on your side.".to_string(),
        (false, _) => "Your key is being prepared. It appears here in a moment.".to_string(),
    };
    view! {
        <div class="notice notice-info" data-state="preparing" data-retrying=retrying.to_string()>
            <h2>{if retrying { "Your place is kept" } else { "Almost there" }}</h2>
            <p>{words}</p>
            <noscript><p>"Reload this page in a few seconds to see it."</p></noscript>
        </div>
    }
}

/// A plain form: signing out works before hydration and without JavaScript.
#[component]
fn SignOutButton() -> impl IntoView {
    view! {
        <form method="post" action="/auth/signout" class="inline">
            <button type="submit" class="button button-secondary">"Sign out"</button>
        </form>
    }
}
