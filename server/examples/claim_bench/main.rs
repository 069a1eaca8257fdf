//! The claim benchmark (`make bench`, `scripts/bench.sh`): starts the real release server
//! in demo mode with the OpenRouter simulator at a chosen round-trip latency, signs in N
//! distinct attendees per shape and fires their claims all at once (burst) and at a
//! steady rate (paced) — each with and without the warm key pool — and during an
//! OpenRouter outage, with and without a pool. For each shape it prints successes,
//! duplicates, claim latency percentiles, OpenRouter calls per claim (and, with a pool,
//! per handed-out key over the pool's whole life: fill, bind, rename, delete at close),
//! claims per second and peak server memory. The reference shapes claim the way the
//! original brief does (lookup, create, assign per claim; `reference.rs`) on the same
//! simulator, and a side-by-side table puts our figures next to theirs as ratios.
//! Then it seeds `--admin-rows` claims (2,000 by default) into one workshop and times
//! the organiser's queries over them.
//! Exits 1 if any claim failed (in the outage shape without a pool: failed otherwise than
//! with a 503 that keeps the place, or a kept place never got its key) or any key was
//! duplicated, 2 if the run itself failed.

mod admin;
mod attendees;
mod claims;
mod memory;
mod options;
mod pool_life;
mod reference;
mod report;
mod server_process;
mod simulator;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};

use claims::{ClaimTarget, ShapeRun};
use options::{Command, Options, Shape};
use reference::ReferenceClaimer;
use report::{PoolLife, ShapeFacts, ShapeReport, ShapeSummary};
use server_process::{BenchServer, ServerSetup, WorkshopSpec};

#[tokio::main]
async fn main() -> ExitCode {
    // Racing Ctrl-C drops `run`, and with it the server (kill on drop), instead of
    // leaving a server and its temporary folder behind.
    let outcome = tokio::select! {
        outcome = run() => outcome,
        Ok(()) = tokio::signal::ctrl_c() => Err(anyhow!("interrupted")),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("claim_bench: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// `Ok(false)` when the benchmark ran but found failed claims or duplicates.
async fn run() -> Result<bool> {
    let repo_root = repo_root();
    let options = match options::parse(std::env::args().skip(1), &repo_root)? {
        Command::Help => {
            println!("{}", options::USAGE);
            return Ok(true);
        }
        Command::Run(options) => options,
    };
    let http = http_client()?;
    let mut workshops: Vec<WorkshopSpec> = options
        .shapes
        .iter()
        .filter(|shape| !shape.is_reference())
        .map(|&shape| WorkshopSpec {
            slug: shape.workshop_slug(),
            window: pool_life::window(shape),
            key_pool: shape.key_pool(options.attendees, options.pool_size),
            // `auto` sizes the pool from the places: one per attendee of the shape.
            max_attendees: shape.has_pool().then_some(options.attendees),
        })
        .collect();
    workshops.push(WorkshopSpec {
        slug: admin::SLUG.to_string(),
        window: pool_life::window(Shape::Burst),
        key_pool: "0".into(),
        max_attendees: None,
    });
    let setup = ServerSetup {
        binary: &options.server_binary,
        repo_root: &repo_root,
        simulator_latency_ms: options.latency_ms,
        database_url: options.database_url.as_deref(),
        workshops: &workshops,
    };
    let server = BenchServer::start(&setup, &http).await?;
    print_header(&options, &server);

    let mut clean = true;
    let mut summaries: Vec<ShapeSummary> = Vec::new();
    for &shape in &options.shapes {
        let report = match shape.is_reference() {
            true => run_reference_shape(shape, &options, &server).await?,
            false => run_shape(shape, &options, &server).await?,
        };
        report.print();
        clean &= report.is_clean();
        summaries.push(report.summary(shape));
    }
    report::print_side_by_side(&summaries);
    if options.admin_rows > 0 {
        admin::run(&server.base_url, options.admin_rows)
            .await?
            .print();
    }
    server.stop().await?;
    Ok(clean)
}

async fn run_shape(shape: Shape, options: &Options, server: &BenchServer) -> Result<ShapeReport> {
    // A client per shape: the previous shape's idle connections are closed rather than
    // held open on the server while this shape's memory is measured.
    let http = http_client()?;
    let slug = shape.workshop_slug();
    let attendees =
        attendees::sign_in_all(&http, &server.base_url, shape.name(), options.attendees).await?;
    let target = Arc::new(ClaimTarget::Server {
        http: http.clone(),
        url: format!("{}/api/claim_key", server.base_url),
        slug: slug.clone(),
    });

    let organiser = admin::sign_in_organiser(&http, &server.base_url).await?;
    let life = pool_life::Server {
        http: &http,
        base_url: &server.base_url,
        simulator_url: &server.simulator_url,
        organiser: &organiser,
    };
    let (opens, closes) = pool_life::window(shape);
    let before_fill = simulator::fetch_state(&http, &server.simulator_url).await?;
    let filled = match shape.has_pool() {
        true => Some(life.fill(&slug, opens).await?),
        false => None,
    };
    if shape.has_pool() {
        life.set_clock(opens + chrono::Duration::seconds(5)).await?;
    }
    if shape.in_outage() {
        life.start_outage().await?;
    }
    if shape == Shape::RateLimited {
        life.start_rate_limit(RATE_LIMIT_SECS).await?;
    }
    let window_started = std::time::Instant::now();

    let before = simulator::fetch_state(&http, &server.simulator_url).await?;
    let sampler = memory::RssSampler::start(server.pid());
    let run: ShapeRun = if shape.is_paced() {
        claims::fire_paced(target, &attendees, options.rate_per_second).await?
    } else {
        claims::fire_burst(target, &attendees).await?
    };
    let sampled_peak_kib = sampler.finish();
    let after = simulator::fetch_state(&http, &server.simulator_url).await?;

    if shape.in_outage() {
        life.end_outage().await?;
    }
    let mut calls_in_window = None;
    if shape == Shape::RateLimited {
        // OpenRouter keeps refusing for the whole window, whoever asks.
        let window = std::time::Duration::from_secs(RATE_LIMIT_SECS);
        tokio::time::sleep(window.saturating_sub(window_started.elapsed())).await;
        let at_end = simulator::fetch_state(&http, &server.simulator_url).await?;
        calls_in_window = Some(at_end.calls_since(&before));
        life.end_rate_limit().await?;
    }
    // Without a pool, the places kept during the outage become keys in the background.
    let refused = run.refused_with("HTTP 503");
    let recovery = match shape.keeps_places() && refused > 0 {
        true => Some(life.wait_for_kept_places(&slug, attendees.len()).await?),
        false => None,
    };
    let pool = match filled {
        Some(filled) => {
            let closed = life.close(&slug, closes).await?;
            let end = simulator::fetch_state(&http, &server.simulator_url).await?;
            Some(PoolLife {
                filled_keys: filled.keys,
                fill_wall: filled.wall,
                deleted_at_close: closed.deleted,
                close_wall: closed.wall,
                calls: end.calls_since(&before_fill),
            })
        }
        None => None,
    };
    let end = simulator::fetch_state(&http, &server.simulator_url).await?;

    Ok(ShapeReport::new(ShapeFacts {
        label: shape_label(shape, options),
        simulator_latency_ms: options.latency_ms,
        run,
        calls: after.calls_since(&before),
        simulator_keys: end.keys_for_workshop(&slug),
        kept_places: if recovery.is_some() { refused } else { 0 },
        calls_in_window,
        recovery,
        pool,
        peak_resident_kib: memory::peak_resident_kib(server.pid()),
        sampled_peak_kib,
        resident_now_kib: memory::resident_kib(server.pid()),
    }))
}

/// The reference design's claims, from the benchmark straight to the simulator; the
/// attendees need no session, only a number.
async fn run_reference_shape(
    shape: Shape,
    options: &Options,
    server: &BenchServer,
) -> Result<ShapeReport> {
    let http = http_client()?;
    let slug = shape.workshop_slug();
    let reference = ReferenceClaimer::new(http.clone(), &server.simulator_url, &slug);
    reference.prepare().await?;
    let attendees: Vec<attendees::Attendee> = (0..options.attendees)
        .map(|index| attendees::Attendee {
            email: format!("{}-{:04}@bench.example", shape.name(), index + 1),
            cookie: String::new(),
        })
        .collect();
    let target = Arc::new(ClaimTarget::Reference(reference));
    let before = simulator::fetch_state(&http, &server.simulator_url).await?;
    let run = match shape.is_paced() {
        true => claims::fire_paced(target, &attendees, options.rate_per_second).await?,
        false => claims::fire_burst(target, &attendees).await?,
    };
    let after = simulator::fetch_state(&http, &server.simulator_url).await?;
    Ok(ShapeReport::new(ShapeFacts {
        label: shape_label(shape, options),
        simulator_latency_ms: options.latency_ms,
        run,
        calls: after.calls_since(&before),
        simulator_keys: after.keys_for_workshop(&slug),
        kept_places: 0,
        calls_in_window: None,
        recovery: None,
        pool: None,
        // Our server plays no part in these claims.
        peak_resident_kib: None,
        sampled_peak_kib: None,
        resident_now_kib: None,
    }))
}

/// How long the `rate-limited` shape's OpenRouter refuses creates, and asks to wait.
const RATE_LIMIT_SECS: u64 = 30;

fn shape_label(shape: Shape, options: &Options) -> String {
    let arrival = if shape.is_paced() {
        format!("{} at {}/s", options.attendees, options.rate_per_second)
    } else {
        format!("{} at once", options.attendees)
    };
    let pool_of = options
        .pool_size
        .map(|size| format!("warm pool of {size}, the rest minted"));
    let setting = match shape {
        Shape::Burst | Shape::Paced => "each claim mints",
        Shape::PoolPaced => "warm pool, key_pool: auto",
        Shape::PoolBurst => pool_of.as_deref().unwrap_or("warm pool covering everyone"),
        Shape::Outage => "OpenRouter down throughout, no pool",
        Shape::PoolOutage => "OpenRouter down throughout, pool covering everyone (or --pool-size)",
        Shape::RateLimited => "POST /keys answering 429 with Retry-After: 30 for 30 s, no pool",
        Shape::ReferencePaced | Shape::ReferenceBurst => {
            "the reference design: lookup, create, assign per claim, straight to the simulator"
        }
    };
    format!("{} ({arrival}; {setting})", shape.name())
}

fn print_header(options: &Options, server: &BenchServer) {
    let shapes: Vec<&str> = options.shapes.iter().map(|shape| shape.name()).collect();
    println!(
        "claim benchmark: {} attendees per shape, simulator latency {} ms, shapes {}",
        options.attendees,
        options.latency_ms,
        shapes.join(", ")
    );
    // Only the scheme: a database URL may carry a password.
    let database = match options.database_url.as_deref() {
        Some(url) => format!("{} (--database-url)", url.split(':').next().unwrap_or("?")),
        None => "SQLite in a temporary folder".to_string(),
    };
    println!(
        "server: {} (pid {}) at {}, database {database}",
        options.server_binary.display(),
        server.pid(),
        server.base_url,
    );
    println!();
}

/// Never follows redirects: demo sign-in answers 303 with the session cookie, and that
/// answer is the one we need.
fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the HTTP client")
}

/// The workspace root, whatever the current directory (the example is compiled inside it).
fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
