//! Command-line options. Hand-rolled: six flags do not justify a parser dependency.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

pub const USAGE: &str = "\
usage: claim_bench [options]

Starts the release server in demo mode (in-process OpenRouter simulator), signs in
N attendees per shape and fires their claims; prints latency, OpenRouter calls per
claim, throughput and peak server memory. Exits non-zero on any failed claim or
duplicate key.

options:
  --attendees N        attendees per shape (default 500)
  --latency-ms L       simulator latency added to every OpenRouter call (default 0)
  --rate R             claims per second in the paced shape (default 20)
  --shapes LIST        comma-separated, default all nine:
                         burst, paced         every claim mints its key (key_pool: 0)
                         pool-paced           warm pool (key_pool: auto) at --rate
                         pool-burst           all at once, a pool covering everyone
                         outage               OpenRouter down for the whole burst, no pool
                         pool-outage          the same with a pool covering everyone
                         rate-limited         POST /keys answering 429 (Retry-After:
                                              30) for 30 s from the burst, no pool
                         reference-paced,     the original brief's design for
                         reference-burst      comparison: per claim, in order, look up
                                              the guardrail, create the key, assign it
                                              (3 calls, no pool), from the benchmark
                                              straight to the same simulator (no
                                              server, no database: its floor); printed
                                              side by side with ours as ratios
                       A pool shape fills its pool inside the lead time (demo clock),
                       opens, claims, then closes and counts every OpenRouter call of
                       the pool's life per handed-out key.
  --pool-size N        the pool of pool-burst and pool-outage (default: one key per
                       attendee); fewer keys than attendees makes the rest mint
  --admin-rows N       claims seeded into one workshop, then the organiser's table
                       (search, filter, sort, pages), figures and CSV export are
                       timed over them (default 2000; 0 skips it)
  --server PATH        server binary (default target/release/server)
  --database-url URL   database for the server, e.g. a fresh postgres:// database
                       (default: a SQLite file in a temporary folder)
  -h, --help           this text";

/// How the claims of one run arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Every attendee presses "claim" at the same moment.
    Burst,
    /// Attendees arrive one after another at a steady rate, the way a room fills up.
    Paced,
    /// Paced, with the warm key pool at `auto`.
    PoolPaced,
    /// Burst, with a pool covering every attendee.
    PoolBurst,
    /// Burst while OpenRouter answers 503 to everything, without a pool.
    Outage,
    /// The outage burst with a pool covering every attendee.
    PoolOutage,
    /// Burst while OpenRouter answers `POST /keys` with 429 and `Retry-After: 30`, for
    /// 30 s, without a pool.
    RateLimited,
    /// The reference design (see `reference.rs`) at `--rate`.
    ReferencePaced,
    /// The reference design, every claim at once.
    ReferenceBurst,
}

pub const ALL_SHAPES: [Shape; 9] = [
    Shape::Burst,
    Shape::Paced,
    Shape::PoolPaced,
    Shape::PoolBurst,
    Shape::Outage,
    Shape::PoolOutage,
    Shape::RateLimited,
    Shape::ReferencePaced,
    Shape::ReferenceBurst,
];

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Burst => "burst",
            Shape::Paced => "paced",
            Shape::PoolPaced => "pool-paced",
            Shape::PoolBurst => "pool-burst",
            Shape::Outage => "outage",
            Shape::PoolOutage => "pool-outage",
            Shape::RateLimited => "rate-limited",
            Shape::ReferencePaced => "reference-paced",
            Shape::ReferenceBurst => "reference-burst",
        }
    }

    /// Claims at `--rate` rather than all at once.
    pub fn is_paced(self) -> bool {
        matches!(
            self,
            Shape::Paced | Shape::PoolPaced | Shape::ReferencePaced
        )
    }

    /// Claims by the reference design, past our server.
    pub fn is_reference(self) -> bool {
        matches!(self, Shape::ReferencePaced | Shape::ReferenceBurst)
    }

    pub fn has_pool(self) -> bool {
        matches!(
            self,
            Shape::PoolPaced | Shape::PoolBurst | Shape::PoolOutage
        )
    }

    /// OpenRouter is down while the claims arrive.
    pub fn in_outage(self) -> bool {
        matches!(self, Shape::Outage | Shape::PoolOutage)
    }

    /// Without a pool, claims are answered 503 "your place is kept" and the server
    /// finishes them afterwards.
    pub fn keeps_places(self) -> bool {
        matches!(self, Shape::Outage | Shape::RateLimited)
    }

    /// The workshop file's `key_pool` for `attendees` claims (`pool_size`: `--pool-size`).
    pub fn key_pool(self, attendees: usize, pool_size: Option<usize>) -> String {
        match self {
            Shape::PoolPaced => "auto".into(),
            Shape::PoolBurst | Shape::PoolOutage => pool_size.unwrap_or(attendees).to_string(),
            _ => "0".into(),
        }
    }

    /// One workshop per shape, so the second run cannot hit keys the first one minted.
    pub fn workshop_slug(self) -> String {
        format!("bench-{}", self.name())
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub attendees: usize,
    pub latency_ms: u64,
    pub rate_per_second: f64,
    pub shapes: Vec<Shape>,
    pub server_binary: PathBuf,
    pub database_url: Option<String>,
    /// Claims in the admin workshop whose queries are timed; 0 skips that part.
    pub admin_rows: usize,
    /// `--pool-size`: the burst pools' size instead of one key per attendee.
    pub pool_size: Option<usize>,
}

pub enum Command {
    Run(Options),
    Help,
}

pub fn parse(args: impl IntoIterator<Item = String>, repo_root: &Path) -> Result<Command> {
    let mut options = Options {
        attendees: 500,
        latency_ms: 0,
        rate_per_second: 20.0,
        shapes: ALL_SHAPES.to_vec(),
        server_binary: repo_root.join("target/release/server"),
        database_url: None,
        admin_rows: 2000,
        pool_size: None,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value (see --help)"))?;
        match flag.as_str() {
            "--attendees" => options.attendees = number(&flag, &value)?,
            "--latency-ms" => options.latency_ms = number(&flag, &value)?,
            "--rate" => options.rate_per_second = number(&flag, &value)?,
            "--shapes" => options.shapes = shapes(&value)?,
            "--server" => options.server_binary = PathBuf::from(value),
            "--database-url" => options.database_url = Some(value),
            "--admin-rows" => options.admin_rows = number(&flag, &value)?,
            "--pool-size" => options.pool_size = Some(number(&flag, &value)?),
            _ => bail!("unknown option `{flag}` (see --help)"),
        }
    }
    if options.attendees == 0 {
        bail!("--attendees must be at least 1");
    }
    if !(options.rate_per_second.is_finite() && options.rate_per_second > 0.0) {
        bail!("--rate must be a positive number of claims per second");
    }
    Ok(Command::Run(options))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    value
        .parse()
        .with_context(|| format!("{flag} expects a number, not `{value}`"))
}

fn shapes(list: &str) -> Result<Vec<Shape>> {
    let mut shapes = Vec::new();
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        // `reference` is both of the reference design's shapes.
        if name == "reference" {
            for shape in [Shape::ReferencePaced, Shape::ReferenceBurst] {
                if !shapes.contains(&shape) {
                    shapes.push(shape);
                }
            }
            continue;
        }
        let Some(shape) = ALL_SHAPES.into_iter().find(|shape| shape.name() == name) else {
            let names: Vec<&str> = ALL_SHAPES.iter().map(|shape| shape.name()).collect();
            bail!(
                "unknown shape `{name}`: expected one of {}",
                names.join(", ")
            );
        };
        if !shapes.contains(&shape) {
            shapes.push(shape);
        }
    }
    if shapes.is_empty() {
        bail!("--shapes needs at least one shape (see --help)");
    }
    Ok(shapes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Result<Options> {
        match parse(args.iter().map(|arg| arg.to_string()), Path::new("/repo"))? {
            Command::Run(options) => Ok(options),
            Command::Help => bail!("asked for help"),
        }
    }

    #[test]
    fn defaults_are_500_attendees_without_latency_in_both_shapes() {
        let options = parsed(&[]).unwrap();
        assert_eq!(options.attendees, 500);
        assert_eq!(options.latency_ms, 0);
        assert_eq!(options.rate_per_second, 20.0);
        assert_eq!(options.shapes, ALL_SHAPES);
        assert_eq!(options.admin_rows, 2000);
        assert_eq!(
            options.server_binary,
            Path::new("/repo/target/release/server")
        );
    }

    #[test]
    fn flags_override_defaults() {
        let options = parsed(&[
            "--attendees",
            "50",
            "--latency-ms",
            "150",
            "--shapes",
            "paced",
            "--rate",
            "7.5",
        ])
        .unwrap();
        assert_eq!((options.attendees, options.latency_ms), (50, 150));
        assert_eq!(options.rate_per_second, 7.5);
        assert_eq!(options.shapes, [Shape::Paced]);
    }

    #[test]
    fn reference_names_both_reference_shapes() {
        let options = parsed(&["--shapes", "paced,reference"]).unwrap();
        assert_eq!(
            options.shapes,
            [Shape::Paced, Shape::ReferencePaced, Shape::ReferenceBurst]
        );
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(parsed(&["--attendees", "0"]).is_err());
        assert!(parsed(&["--rate", "-1"]).is_err());
        assert!(parsed(&["--shapes", "burst,stampede"]).is_err());
        assert!(parsed(&["--latency-ms"]).is_err());
        assert!(parsed(&["--frobnicate", "1"]).is_err());
    }
}
