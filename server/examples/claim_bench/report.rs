//! Turning one shape's raw outcomes into the figures the benchmark prints.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use crate::claims::{ClaimResult, ShapeRun};
use crate::memory::mib;
use crate::options::Shape;

/// Everything measured while one shape ran.
pub struct ShapeFacts {
    pub label: String,
    pub simulator_latency_ms: u64,
    pub run: ShapeRun,
    /// OpenRouter calls per route made during the shape.
    pub calls: BTreeMap<String, u64>,
    /// Keys on the simulator named after this shape's workshop.
    pub simulator_keys: usize,
    pub peak_resident_kib: Option<u64>,
    pub sampled_peak_kib: Option<u64>,
    pub resident_now_kib: Option<u64>,
    /// Outage without a pool: claims answered 503 whose place was kept, and how long
    /// after the outage every one of them had its key (`None`: not waited for).
    pub kept_places: usize,
    pub recovery: Option<Duration>,
    /// Rate-limited shape: OpenRouter calls from the burst to the end of the window.
    pub calls_in_window: Option<BTreeMap<String, u64>>,
    /// Pool shapes: the pool's life from filling to the close.
    pub pool: Option<PoolLife>,
}

/// A pool shape's pool, from the lead time to the close.
pub struct PoolLife {
    pub filled_keys: i64,
    pub fill_wall: Duration,
    pub deleted_at_close: i64,
    pub close_wall: Duration,
    /// Every OpenRouter call from before the first pool key to after the last deletion.
    pub calls: BTreeMap<String, u64>,
}

pub struct ShapeReport {
    facts: ShapeFacts,
    successes: usize,
    /// Reason → (count, one example answer).
    failures: BTreeMap<String, (usize, String)>,
    /// Keys minted beyond one per successful attendee.
    surplus_keys: usize,
    /// Successful attendees who got a plaintext another attendee also got.
    shared_plaintexts: usize,
    /// Of successful claims, sorted.
    latencies: Vec<Duration>,
}

impl ShapeReport {
    pub fn new(facts: ShapeFacts) -> Self {
        let mut failures: BTreeMap<String, (usize, String)> = BTreeMap::new();
        let mut plaintexts = HashSet::new();
        let mut latencies = Vec::new();
        for outcome in &facts.run.outcomes {
            match &outcome.result {
                // Without a pool an outage is answered 503 with the place kept; those
                // places are counted (and checked) as `kept_places`.
                ClaimResult::Failed { reason, .. }
                    if facts.recovery.is_some() && reason == "HTTP 503" => {}
                ClaimResult::Key(key) => {
                    plaintexts.insert(key.as_str());
                    latencies.push(outcome.latency);
                }
                ClaimResult::Failed { reason, detail } => {
                    let entry = failures
                        .entry(reason.clone())
                        .or_insert((0, detail.clone()));
                    entry.0 += 1;
                }
            }
        }
        latencies.sort_unstable();
        let successes = latencies.len();
        ShapeReport {
            surplus_keys: facts
                .simulator_keys
                .saturating_sub(successes + facts.kept_places),
            shared_plaintexts: successes - plaintexts.len(),
            successes,
            failures,
            latencies,
            facts,
        }
    }

    /// The figures the side-by-side table compares.
    pub fn summary(&self, shape: Shape) -> ShapeSummary {
        let at =
            |percent| (!self.latencies.is_empty()).then(|| nearest_rank(&self.latencies, percent));
        // A pool's calls are counted over its whole life (fill, bind, rename, close),
        // not only while claiming, so the pool gets no free ride in the comparison.
        let calls = match &self.facts.pool {
            Some(pool) => pool.calls.values().sum::<u64>(),
            None => self.facts.calls.values().sum::<u64>(),
        };
        ShapeSummary {
            shape,
            p50: at(50.0),
            p99: at(99.0),
            wall: self.facts.run.wall,
            calls_per_key: (self.successes > 0).then(|| calls as f64 / self.successes as f64),
        }
    }

    pub fn duplicates(&self) -> usize {
        self.surplus_keys + self.shared_plaintexts
    }

    pub fn is_clean(&self) -> bool {
        self.failures.is_empty() && self.duplicates() == 0
    }

    pub fn print(&self) {
        println!(
            "shape: {}, simulator latency {} ms",
            self.facts.label, self.facts.simulator_latency_ms
        );
        self.print_outcomes();
        self.print_recovery();
        self.print_latency();
        self.print_calls();
        self.print_pool();
        self.print_throughput();
        self.print_memory();
        println!();
    }

    fn print_outcomes(&self) {
        let claims = self.facts.run.outcomes.len();
        let failed: usize = self.failures.values().map(|(count, _)| count).sum();
        let by_reason = if self.failures.is_empty() {
            "none".to_string()
        } else {
            let counts = self
                .failures
                .iter()
                .map(|(reason, (count, _))| format!("{reason} ×{count}"));
            counts.collect::<Vec<_>>().join(", ")
        };
        println!(
            "successes {} / {claims}, failures {failed} ({by_reason}), duplicates {} \
             ({} simulator keys for {} successful attendees, {} shared plaintexts)",
            self.successes,
            self.duplicates(),
            self.facts.simulator_keys,
            self.successes,
            self.shared_plaintexts,
        );
        for (reason, (_, example)) in &self.failures {
            println!("  e.g. {reason}: {example}");
        }
    }

    fn print_recovery(&self) {
        if let Some(after) = self.facts.recovery {
            let slowest = self
                .facts
                .run
                .outcomes
                .iter()
                .map(|outcome| outcome.latency)
                .max()
                .unwrap_or_default();
            println!(
                "refused with 503 \"your place is kept\": {}, every answer within {:.0} ms; \
                 after the outage every kept place had its key {:.1} s later, with nobody \
                 clicking again",
                self.facts.kept_places,
                milliseconds(slowest),
                after.as_secs_f64()
            );
        }
        if let Some(calls) = &self.facts.calls_in_window {
            println!(
                "openrouter calls while it was rate-limiting us (burst to end of window): {} ({})",
                calls.values().sum::<u64>(),
                by_route(calls)
            );
        }
    }

    fn print_pool(&self) {
        let Some(pool) = &self.facts.pool else {
            return;
        };
        println!(
            "pool: {} keys ready {:.1} s into the lead time; after the close {} unclaimed \
             deleted in {:.1} s",
            pool.filled_keys,
            pool.fill_wall.as_secs_f64(),
            pool.deleted_at_close,
            pool.close_wall.as_secs_f64()
        );
        let total: u64 = pool.calls.values().sum();
        let handed_out = self.successes.max(1);
        println!(
            "openrouter calls over the pool's life (fill, bind, claims, renames, close): {total} \
             total, {:.2} per handed-out key ({})",
            total as f64 / handed_out as f64,
            by_route(&pool.calls)
        );
    }

    fn print_latency(&self) {
        let Some(&max) = self.latencies.last() else {
            println!("claim latency ms: no successful claims");
            return;
        };
        let at = |percent| milliseconds(nearest_rank(&self.latencies, percent));
        println!(
            "claim latency ms (successful claims): p50 {:.1} p95 {:.1} p99 {:.1} max {:.1}",
            at(50.0),
            at(95.0),
            at(99.0),
            milliseconds(max),
        );
    }

    fn print_calls(&self) {
        let total: u64 = self.facts.calls.values().sum();
        let claims = self.facts.run.outcomes.len().max(1);
        println!(
            "openrouter calls while claiming: {total} total, {:.2} per claim ({})",
            total as f64 / claims as f64,
            by_route(&self.facts.calls),
        );
        // Looking for keys whose answer was lost pages through the whole account; these
        // are shared between claims failing together (the usage sync lists too, once a
        // minute at most).
        let count = |route: &str| self.facts.calls.get(route).copied().unwrap_or(0);
        println!(
            "cleanup calls: GET /keys {} (pages listed), DELETE /keys/{{hash}} {}",
            count("GET /keys"),
            count("DELETE /keys/{hash}"),
        );
    }

    fn print_throughput(&self) {
        let wall = self.facts.run.wall.as_secs_f64();
        let rate = if wall > 0.0 {
            self.successes as f64 / wall
        } else {
            0.0
        };
        println!("throughput: {rate:.1} claims/s (wall {wall:.2} s)");
    }

    fn print_memory(&self) {
        let shown = |kib: Option<u64>| {
            kib.map_or_else(
                || "unavailable".to_string(),
                |kib| format!("{:.1} MiB", mib(kib)),
            )
        };
        println!(
            "peak server memory (VmHWM, since start): {}; VmRSS peak sampled during this \
             shape {}, at its end {}",
            shown(self.facts.peak_resident_kib),
            shown(self.facts.sampled_peak_kib),
            shown(self.facts.resident_now_kib),
        );
    }
}

/// One shape's comparable figures.
pub struct ShapeSummary {
    pub shape: Shape,
    pub p50: Option<Duration>,
    pub p99: Option<Duration>,
    pub wall: Duration,
    /// `None` when no claim succeeded.
    pub calls_per_key: Option<f64>,
}

/// Ours next to the reference design's, as ratios (reference ÷ ours: above 1 means we
/// are faster or make fewer calls). Printed only when a reference shape ran.
pub fn print_side_by_side(summaries: &[ShapeSummary]) {
    let find = |shape| summaries.iter().find(|summary| summary.shape == shape);
    let rows = [
        (Shape::ReferencePaced, [Shape::PoolPaced, Shape::Paced]),
        (Shape::ReferenceBurst, [Shape::PoolBurst, Shape::Burst]),
    ];
    let mut printed_header = false;
    for (reference_shape, ours) in rows {
        let Some(reference) = find(reference_shape) else {
            continue;
        };
        for ours in ours.into_iter().filter_map(find) {
            if !printed_header {
                println!("side by side with the reference design (reference ÷ ours):");
                printed_header = true;
            }
            println!("  {}", side_by_side_line(ours, reference));
        }
    }
    if printed_header {
        println!();
    }
}

fn side_by_side_line(ours: &ShapeSummary, reference: &ShapeSummary) -> String {
    let ms = |value: Option<Duration>| value.map_or(f64::NAN, milliseconds);
    // NaN (no successful claim) compares false, so it reads "n/a".
    let ratio = |theirs: f64, ours: f64| match ours > 0.0 && theirs.is_finite() {
        true => format!("{:.1}×", theirs / ours),
        false => "n/a".to_string(),
    };
    let latency = |pick: fn(&ShapeSummary) -> Option<Duration>, name: &str| {
        format!(
            "{name} {:.1} vs {:.1} ms ({})",
            ms(pick(ours)),
            ms(pick(reference)),
            ratio(ms(pick(reference)), ms(pick(ours)))
        )
    };
    let wall = (ours.wall.as_secs_f64(), reference.wall.as_secs_f64());
    let calls = |summary: &ShapeSummary| summary.calls_per_key.unwrap_or(f64::NAN);
    format!(
        "{} vs {}: {}, {}, wall {:.2} vs {:.2} s ({}), OpenRouter calls per key {:.2} vs {:.2} ({})",
        ours.shape.name(),
        reference.shape.name(),
        latency(|summary| summary.p50, "p50"),
        latency(|summary| summary.p99, "p99"),
        wall.0,
        wall.1,
        ratio(wall.1, wall.0),
        calls(ours),
        calls(reference),
        ratio(calls(reference), calls(ours)),
    )
}

/// `POST /keys 500, PATCH /keys/{hash} 490, …`, most called first; `none` when empty.
fn by_route(calls: &BTreeMap<String, u64>) -> String {
    let mut routes: Vec<_> = calls.iter().collect();
    routes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if routes.is_empty() {
        return "none".into();
    }
    routes
        .iter()
        .map(|(route, count)| format!("{route} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Nearest-rank percentile of sorted, non-empty `values`.
fn nearest_rank(values: &[Duration], percent: f64) -> Duration {
    let rank = (percent / 100.0 * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimOutcome;

    fn ms(values: impl IntoIterator<Item = u64>) -> Vec<Duration> {
        values.into_iter().map(Duration::from_millis).collect()
    }

    #[test]
    fn nearest_rank_picks_the_smallest_value_covering_the_percentage() {
        let hundred = ms(1..=100);
        assert_eq!(nearest_rank(&hundred, 50.0), Duration::from_millis(50));
        assert_eq!(nearest_rank(&hundred, 95.0), Duration::from_millis(95));
        assert_eq!(nearest_rank(&hundred, 99.0), Duration::from_millis(99));
        let three = ms([10, 20, 30]);
        assert_eq!(nearest_rank(&three, 50.0), Duration::from_millis(20));
        assert_eq!(nearest_rank(&three, 99.0), Duration::from_millis(30));
        assert_eq!(nearest_rank(&ms([7]), 0.0), Duration::from_millis(7));
    }

    fn outcome(result: ClaimResult) -> ClaimOutcome {
        ClaimOutcome {
            latency: Duration::from_millis(5),
            result,
        }
    }

    #[test]
    fn side_by_side_divides_the_reference_by_ours() {
        let summary = |shape, p50, p99, wall, calls_per_key| ShapeSummary {
            shape,
            p50: Some(Duration::from_millis(p50)),
            p99: Some(Duration::from_millis(p99)),
            wall: Duration::from_millis(wall),
            calls_per_key,
        };
        let ours = summary(Shape::PoolPaced, 2, 5, 25_000, Some(3.5));
        let reference = summary(Shape::ReferencePaced, 460, 470, 25_500, Some(3.0));
        let line = side_by_side_line(&ours, &reference);
        assert!(line.starts_with("pool-paced vs reference-paced:"), "{line}");
        assert!(line.contains("p50 2.0 vs 460.0 ms (230.0×)"), "{line}");
        assert!(line.contains("p99 5.0 vs 470.0 ms (94.0×)"), "{line}");
        assert!(line.contains("wall 25.00 vs 25.50 s (1.0×)"), "{line}");
        assert!(line.contains("per key 3.50 vs 3.00 (0.9×)"), "{line}");
        let failed = ShapeSummary {
            p50: None,
            p99: None,
            calls_per_key: None,
            ..summary(Shape::ReferencePaced, 0, 0, 25_000, None)
        };
        let line = side_by_side_line(&ours, &failed);
        assert!(line.contains("p50 2.0 vs NaN ms (n/a)"), "{line}");
        assert!(line.contains("per key 3.50 vs NaN (n/a)"), "{line}");
    }

    #[test]
    fn duplicates_count_surplus_keys_and_shared_plaintexts() {
        let key = |text: &str| outcome(ClaimResult::Key(text.into()));
        let report = ShapeReport::new(ShapeFacts {
            label: "test".into(),
            simulator_latency_ms: 0,
            run: ShapeRun {
                outcomes: vec![
                    key("sk-a"),
                    key("sk-a"),
                    key("sk-b"),
                    outcome(ClaimResult::Failed {
                        reason: "HTTP 500".into(),
                        detail: String::new(),
                    }),
                ],
                wall: Duration::from_secs(1),
            },
            calls: BTreeMap::new(),
            simulator_keys: 5,
            peak_resident_kib: None,
            sampled_peak_kib: None,
            resident_now_kib: None,
            kept_places: 0,
            recovery: None,
            calls_in_window: None,
            pool: None,
        });
        // 5 keys for 3 successful attendees, and one attendee got another's plaintext.
        assert_eq!(report.duplicates(), 2 + 1);
        assert!(!report.is_clean());
    }
}
