//! Work that outlives the request that started it — claims, assignments, renames, retries
//! — and the one place a draining server waits for it. The mint and the key pool share
//! one [`DetachedWork`], so a single drain stops both.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Cheap to clone; every clone tracks the same tasks.
#[derive(Clone, Default)]
pub struct DetachedWork {
    work: TaskTracker,
    /// Cancelled when the server drains: background retries stop at their next pause.
    stopping: CancellationToken,
}

impl DetachedWork {
    /// Spawns work the server waits for when it drains. The work brings its own span
    /// (or none: an assignment batch serves many claims, not the one that started it).
    pub fn spawn<F>(&self, work: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.work.spawn(work)
    }

    /// Cancelled once the server drains.
    pub fn stopping(&self) -> &CancellationToken {
        &self.stopping
    }

    /// Background retries stop, and this waits up to `timeout` for the work under way.
    /// `false` if some did not finish in time.
    pub async fn drain(&self, timeout: Duration) -> bool {
        self.stopping.cancel();
        self.work.close();
        tokio::time::timeout(timeout, self.work.wait())
            .await
            .is_ok()
    }
}
