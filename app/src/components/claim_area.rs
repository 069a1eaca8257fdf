//! The part of the workshop page that changes with the viewer: one view per state of
//! their claim (`ClaimView`), each with its own words and the next step. Every state is
//! rendered on the server and every action is a plain form, so all of it works before
//! hydration; after it, the claim happens in place and a key being prepared shows up
//! without a reload.
//!
//! Two islands share the work. A viewer without a key gets [`ClaimIsland`], in the main
//! bundle: every state up to the claim, and the key card once the claim succeeds (its
//! code fetched then). A viewer who already has a key gets [`KeyIsland`], a lazy island:
//! the key card's code (snippets, budget, copying) comes in a chunk of its own, which a
//! visitor without a key never downloads.

use leptos::ev::SubmitEvent;
use leptos::lazy;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::task::spawn_local;

use super::key_card::KeyCard;
use super::live_region::use_announcer;
use super::relative_time::{countdown_text, relative, ticking_now, Now};
use crate::api::claims::{get_claim_page, ClaimKey, SetMarketingOptIn};
use crate::browser::{focus, form_field};
use crate::components::time_zone::TimeText;
use crate::hydration::props::AsAnswer;
use wire::model::{
    ClaimPage, ClaimView, MarketingChoice, MyKey, SignInMethodsInfo, SoldOut, WorkshopFigures,
    WorkshopSummary,
};

/// The key card's element id (focus moves there after a claim).
pub const KEY_CARD_ID: &str = "key-card";

/// The viewer's part of the page, as the server renders it: the island that fits.
#[component]
pub fn ClaimArea(page: ClaimPage) -> impl IntoView {
    let island = match page.claim.clone() {
        ClaimView::Key(key) => view! {
            <KeyIsland key workshop=page.workshop marketing=page.marketing server_now=page.now />
        }
        .into_any(),
        _ => view! { <ClaimIsland page=AsAnswer(page) /> }.into_any(),
    };
    view! { <div class="claim-area">{island}</div> }
}

/// A viewer who has a key: the card, and their answer to the marketing question.
#[island(lazy)]
fn KeyIsland(
    key: MyKey,
    workshop: WorkshopSummary,
    marketing: Option<MarketingChoice>,
    server_now: i64,
) -> impl IntoView {
    let now = ticking_now(server_now);
    let opt_in = ServerAction::<SetMarketingOptIn>::new();
    let slug = workshop.slug.clone();
    view! {
        <KeyCard key workshop now />
        {marketing.map(|choice| view! { <MarketingToggle slug choice action=opt_in /> })}
    }
}

/// The page-level actions of [`ClaimIsland`].
#[derive(Clone, Copy)]
struct ClaimActions {
    claim: ServerAction<ClaimKey>,
    opt_in: ServerAction<SetMarketingOptIn>,
}

/// Every state before the key, and the claim in place. The page's data came with the
/// page; after a claim, an opt-in change, the countdown reaching zero and every two
/// seconds while a key is being prepared, it is asked again (`get_claim_page`).
#[island]
fn ClaimIsland(page: AsAnswer<ClaimPage>) -> impl IntoView {
    let AsAnswer(page) = page;
    let slug = page.workshop.slug.clone();
    let now = ticking_now(page.now);
    let actions = ClaimActions {
        claim: ServerAction::<ClaimKey>::new(),
        opt_in: ServerAction::<SetMarketingOptIn>::new(),
    };
    let current = RwSignal::new(page);
    let refreshes = RwSignal::new(0u32);
    let refetch = Callback::new(move |_| refreshes.update(|count| *count += 1));
    // Only the answer to the latest question is shown: an older one arriving late
    // would take the page back.
    let asked = StoredValue::new(0u32);
    Effect::watch(
        move || {
            (
                actions.claim.version().get(),
                actions.opt_in.version().get(),
                refreshes.get(),
            )
        },
        move |_, _, _| {
            let slug = slug.clone();
            let question = asked.get_value() + 1;
            asked.set_value(question);
            spawn_local(async move {
                if let Ok(fresh) = get_claim_page(slug).await {
                    if asked.get_value() == question {
                        current.set(fresh);
                    }
                }
            });
        },
        false,
    );
    focus_key_card_after_claim(actions.claim, current);
    let refused = move || match actions.claim.value().get() {
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    view! {
        {move || claim_state(current.get(), actions, now, refetch)}
        <p class="claim-refused" role="alert">{refused}</p>
    }
}

/// After a claim in place, focus moves to the key card, and a screen reader hears it.
fn focus_key_card_after_claim(claim: ServerAction<ClaimKey>, current: RwSignal<ClaimPage>) {
    let announcer = use_announcer();
    let focus_after_claim = RwSignal::new(false);
    Effect::new(move |_| {
        if claim.version().get() > 0 {
            focus_after_claim.set(true);
        }
    });
    Effect::new(move |_| {
        let has_key = current.with(|page| matches!(page.claim, ClaimView::Key(_)));
        if has_key && focus_after_claim.get_untracked() {
            focus_after_claim.set(false);
            focus_when_shown(KEY_CARD_ID, 60);
            announcer.say("Your key is ready.");
        }
    });
}

/// Moves focus to element `id` as soon as it is on the page (the key card arrives with
/// its code chunk a moment after the data), trying once per frame, `frames` times.
fn focus_when_shown(id: &'static str, frames: u32) {
    request_animation_frame(move || {
        if !focus(id) && frames > 0 {
            focus_when_shown(id, frames - 1);
        }
    });
}

/// The view of one state of the viewer's claim.
fn claim_state(page: ClaimPage, actions: ClaimActions, now: Now, refetch: Callback<()>) -> AnyView {
    let slug = page.workshop.slug.clone();
    let marketing = page.marketing.clone();
    let signed_in = page.viewer.is_some();
    match page.claim.clone() {
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
        // Only ever reached in the browser, after a claim: the server renders a viewer
        // who has a key with `KeyIsland`.
        ClaimView::Key(key) => {
            // The card's code arrives a moment after the data: a `Suspense` would do,
            // but its machinery would weigh more in the bundle than these lines.
            let card = StoredValue::new_local(None::<AnyView>);
            let loaded = RwSignal::new(false);
            spawn_local(async move {
                card.set_value(Some(key_card(key, page.workshop, now).await));
                loaded.set(true);
            });
            view! {
                {move || match loaded.get() {
                    true => card.try_update_value(Option::take).flatten(),
                    false => Some(view! { <p>"Your key is ready. Loading it…"</p> }.into_any()),
                }}
                {marketing.map(|choice| view! { <MarketingToggle slug=slug.clone() choice action=actions.opt_in /> })}
            }
            .into_any()
        }
    }
}

/// The key card, whose code comes in a chunk of its own (`cargo leptos build --split`),
/// fetched when a claim in place succeeds.
#[lazy]
async fn key_card(key: MyKey, workshop: WorkshopSummary, now: Now) -> AnyView {
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
    // The form's own fields, read without decoding the whole form generically (what
    // `ActionForm` does, at the price of a form decoder in the attendee's bundle).
    let submit = {
        let slug = slug.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            action.dispatch(ClaimKey {
                slug: slug.clone(),
                marketing_opt_in: form_field(&event, "marketing_opt_in"),
            });
        }
    };
    view! {
        <div class="claim" data-state="claimable">
            <h2>"Get your key"</h2>
            <form method="post" action=ClaimKey::url() class="claim-form" on:submit=submit>
                <input type="hidden" name="slug" value=slug />
                {marketing.map(|choice| view! { <OptInCheckbox text=choice.text /> })}
                <button type="submit" class="button button-large" disabled=move || pending.get()>
                    {move || if pending.get() { "Claiming…" } else { "Claim my key" }}
                </button>
            </form>
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
    // As in `ClaimForm`: the fields are known, no generic form decoding.
    let submit = {
        let slug = slug.clone();
        move |event: SubmitEvent| {
            event.prevent_default();
            action.dispatch(SetMarketingOptIn {
                slug: slug.clone(),
                opted_in: !opted_in(),
            });
        }
    };
    view! {
        <div class="marketing" data-opted-in=move || opted_in().to_string()>
            <p>
                {move || if opted_in() { "You said yes to: " } else { "You said no to: " }}
                <q>{text.clone()}</q>
            </p>
            <form method="post" action=SetMarketingOptIn::url() class="inline" on:submit=submit>
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="opted_in" value=move || (!opted_in()).to_string() />
                <button type="submit" class="button button-small button-secondary">
                    {move || if opted_in() { "Withdraw my yes" } else { "Say yes" }}
                </button>
            </form>
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
