//! The admin page's actions, declared once: each server action, the outcome line it
//! writes when it was the last one submitted, and (by the macro) its field, its
//! creation, its "last submitted" tracking and its part in the page's reload trigger.

use leptos::prelude::*;

use crate::api::admin::{
    DisableAllKeys, ReapplyGuardrail, RetryAllUnbound, RetryBinding, SetKeyDisabled,
    SimulateActivity, SyncUsageNow,
};
use crate::components::admin::counted;
use crate::components::admin::top_up::{top_up_outcome, RowTopUps};
use wire::error::AppError;
use wire::model::{ClaimRow, DisableReport, RetryReport, SyncNowOutcome};

/// `field: ServerFunction => Latest variant, outcome words` for each action of the page.
macro_rules! admin_actions {
    ($($field:ident: $action:ty => $latest:ident, $words:expr;)*) => {
        /// The page's actions, created with its data so hydration finds them.
        #[derive(Clone, Copy)]
        pub struct AdminActions {
            $(pub $field: ServerAction<$action>,)*
            pub top_up: RowTopUps,
            /// Ticks after each batch of a bulk top-up.
            pub bulk_batches: RwSignal<usize>,
            /// Which action was submitted last: the outcome line speaks of that one.
            pub latest: RwSignal<Option<Latest>>,
        }

        #[derive(Clone, Copy, PartialEq, Eq)]
        pub enum Latest {
            $($latest,)*
            TopUp,
        }

        impl AdminActions {
            pub fn new() -> Self {
                AdminActions {
                    $($field: ServerAction::new(),)*
                    top_up: RowTopUps::new(),
                    bulk_batches: RwSignal::new(0),
                    latest: RwSignal::new(None),
                }
            }

            /// Records which action was submitted last (in the browser; without
            /// JavaScript each action reloads the page anyway).
            pub fn track_latest(&self) {
                let latest = self.latest;
                let watch = |input: Signal<bool>, which: Latest| {
                    Effect::new(move |_| {
                        if input.get() {
                            latest.set(Some(which));
                        }
                    });
                };
                $(watch(self.$field.pending().into(), Latest::$latest);)*
                watch(self.top_up.action.pending().into(), Latest::TopUp);
            }

            /// Moves whenever any action finished: the figures and table reload then.
            pub fn versions(&self) -> usize {
                0 $(+ self.$field.version().get())*
                    + self.top_up.action.version().get()
                    + self.bulk_batches.get()
            }

            /// The outcome of the last action submitted. Only that one: older outcomes
            /// would read as news.
            pub fn latest_outcome(&self) -> Option<String> {
                match self.latest.get()? {
                    $(Latest::$latest => self.$field.value().get().and_then($words),)*
                    Latest::TopUp => top_up_outcome(self.top_up),
                }
            }
        }

        impl Default for AdminActions {
            fn default() -> Self {
                Self::new()
            }
        }
    };
}

admin_actions! {
    retry: RetryBinding => Retry, row_words;
    disable: SetKeyDisabled => Disable, row_words;
    retry_all: RetryAllUnbound => RetryAll, retry_all_words;
    sync: SyncUsageNow => Sync, sync_words;
    disable_all: DisableAllKeys => DisableAll, disable_all_words;
    // Its outcome is the guardrail check in the configuration panel, not a line.
    reapply: ReapplyGuardrail => Reapply, |_| None;
    simulate: SimulateActivity => Simulate, simulate_words;
}

fn row_words(result: Result<ClaimRow, AppError>) -> Option<String> {
    Some(match result {
        Ok(row) => format!("{}: {}.", row.email, row.status.label()),
        Err(error) => error.to_string(),
    })
}

fn retry_all_words(result: Result<RetryReport, AppError>) -> Option<String> {
    Some(match result {
        Ok(report) => format!(
            "Bound {}; {} still unbound.",
            counted(report.bound, "key", "keys"),
            report.still_unbound
        ),
        Err(error) => error.to_string(),
    })
}

fn sync_words(result: Result<SyncNowOutcome, AppError>) -> Option<String> {
    Some(match result {
        Ok(SyncNowOutcome::Synced {
            keys_updated,
            list_calls,
        }) => format!(
            "Usage synced: {} updated in {}.",
            counted(keys_updated, "key", "keys"),
            counted(list_calls, "call", "calls")
        ),
        Ok(SyncNowOutcome::AlreadyRunning) => {
            "Another sync is running right now; figures update when it ends.".to_string()
        }
        Ok(SyncNowOutcome::Recent { synced_secs_ago }) => format!(
            "Synced {} ago; these figures are from then.",
            counted(synced_secs_ago, "second", "seconds")
        ),
        Err(error) => error.to_string(),
    })
}

fn disable_all_words(result: Result<DisableReport, AppError>) -> Option<String> {
    Some(match result {
        Ok(report) => format!(
            "Disabled {}; {} could not be disabled (try again).",
            counted(report.disabled, "key", "keys"),
            report.failed
        ),
        Err(error) => error.to_string(),
    })
}

fn simulate_words(result: Result<i64, AppError>) -> Option<String> {
    Some(match result {
        Ok(count) => format!("Simulated spend on {}.", counted(count, "key", "keys")),
        Err(error) => error.to_string(),
    })
}
