//! The server's memory, from `/proc/<pid>/status` (Linux only; elsewhere the figures
//! read "unavailable" rather than failing the run).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// The kernel's own high-water mark of resident memory over the process's lifetime
/// (it catches spikes between samples, but spans every shape run so far).
pub fn peak_resident_kib(pid: u32) -> Option<u64> {
    status_field_kib(pid, "VmHWM")
}

pub fn resident_kib(pid: u32) -> Option<u64> {
    status_field_kib(pid, "VmRSS")
}

fn status_field_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| {
        line.strip_prefix(field)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    // e.g. "VmRSS:\t   23456 kB"
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Samples `VmRSS` in the background for the duration of one shape, because `VmHWM`
/// alone cannot tell the second shape's peak from the first one's.
pub struct RssSampler {
    peak_kib: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let recorded = Arc::clone(&peak_kib);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(SAMPLE_EVERY);
            loop {
                ticks.tick().await;
                if let Some(kib) = resident_kib(pid) {
                    recorded.fetch_max(kib, Ordering::Relaxed);
                }
            }
        });
        RssSampler { peak_kib, task }
    }

    /// The largest sample taken, if any sample could be read.
    pub fn finish(self) -> Option<u64> {
        self.task.abort();
        Some(self.peak_kib.load(Ordering::Relaxed)).filter(|&kib| kib > 0)
    }
}

impl Drop for RssSampler {
    // Also on the error path, where `finish` is never called.
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
