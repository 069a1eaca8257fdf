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
  --shapes LIST        comma-separated: burst, paced (default burst,paced)
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
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Burst => "burst",
            Shape::Paced => "paced",
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
        shapes: vec![Shape::Burst, Shape::Paced],
        server_binary: repo_root.join("target/release/server"),
        database_url: None,
        admin_rows: 2000,
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
        let shape = match name {
            "burst" => Shape::Burst,
            "paced" => Shape::Paced,
            _ => bail!("unknown shape `{name}`: expected burst or paced"),
        };
        if !shapes.contains(&shape) {
            shapes.push(shape);
        }
    }
    if shapes.is_empty() {
        bail!("--shapes needs at least one of burst, paced");
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
        assert_eq!(options.shapes, [Shape::Burst, Shape::Paced]);
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
    fn nonsense_is_refused() {
        assert!(parsed(&["--attendees", "0"]).is_err());
        assert!(parsed(&["--rate", "-1"]).is_err());
        assert!(parsed(&["--shapes", "burst,stampede"]).is_err());
        assert!(parsed(&["--latency-ms"]).is_err());
        assert!(parsed(&["--frobnicate", "1"]).is_err());
    }
}
