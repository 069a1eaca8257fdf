//! What this process remembers about the pools it tends, beside the database: creates in
//! flight (for the admin page's figures), when a search for leftovers may run, and which
//! workshops it leaves to an instance with a newer file. Lost at a restart on purpose:
//! each of them is only a hint, and the database holds everything that must survive.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::db::PoolState;

#[derive(Default)]
pub(super) struct PoolMemory {
    /// Creates in flight per workshop.
    minting: Mutex<HashMap<String, i64>>,
    /// A search for leftovers waits until then: a create that timed out may still land.
    search_not_before: Mutex<HashMap<String, Instant>>,
    /// Workshops whose newest file another instance carries (said once in the logs).
    left_to_newer: Mutex<HashSet<String>>,
}

impl PoolMemory {
    pub(super) fn count_minting(&self, slug: &str, change: i64) {
        let mut minting = self.minting.lock().unwrap_or_else(PoisonError::into_inner);
        *minting.entry(slug.to_string()).or_default() += change;
    }

    /// Pool keys of `slug` being created by this process right now.
    pub(super) fn minting(&self, slug: &str) -> i64 {
        self.minting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(slug)
            .copied()
            .unwrap_or(0)
    }

    /// Whether the account should be searched for the pool's leftovers now.
    pub(super) fn search_due(&self, slug: &str, state: &PoolState) -> bool {
        let not_before = self
            .search_not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(slug)
            .copied();
        state.unsettled && not_before.is_none_or(|at| at <= Instant::now())
    }

    pub(super) fn search_after(&self, slug: &str, after: Duration) {
        self.search_not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(slug.to_string(), Instant::now() + after);
    }

    /// Records whether this process carries the newest file of `slug`; `true` the first
    /// time it learns it does not (the moment to say so in the logs).
    pub(super) fn newly_left_to_newer(&self, slug: &str, carries_newest: bool) -> bool {
        let mut left = self
            .left_to_newer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if carries_newest {
            left.remove(slug);
            false
        } else {
            left.insert(slug.to_string())
        }
    }
}
