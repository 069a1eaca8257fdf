//! The claim benchmark (`make bench`, `scripts/bench.sh`): starts the real release server
//! in demo mode with the OpenRouter simulator at a chosen round-trip latency, signs in N
//! distinct attendees per shape and fires their claims all at once (burst) and at a
//! steady rate (paced). For each shape it prints successes, duplicates, claim latency
//! percentiles, OpenRouter calls per claim, claims per second and peak server memory.
//! Then it seeds `--admin-rows` claims (2,000 by default) into one workshop and times
//! the organiser's queries over them.
//! Exits 1 if any claim failed or any key was duplicated, 2 if the run itself failed.

mod admin;
mod attendees;
mod claims;
mod memory;
mod options;
mod report;
mod server_process;
mod simulator;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};

use claims::{ClaimTarget, ShapeRun};
use options::{Command, Options, Shape};
use report::{ShapeFacts, ShapeReport};
use server_process::{BenchServer, ServerSetup};

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
    let mut slugs: Vec<String> = options
        .shapes
        .iter()
        .map(|shape| shape.workshop_slug())
        .collect();
    slugs.push(admin::SLUG.to_string());
    let setup = ServerSetup {
        binary: &options.server_binary,
        repo_root: &repo_root,
        simulator_latency_ms: options.latency_ms,
        database_url: options.database_url.as_deref(),
        workshop_slugs: &slugs,
    };
    let server = BenchServer::start(&setup, &http).await?;
    print_header(&options, &server);

    let mut clean = true;
    for &shape in &options.shapes {
        let report = run_shape(shape, &options, &server).await?;
        report.print();
        clean &= report.is_clean();
    }
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
    let target = Arc::new(ClaimTarget {
        http: http.clone(),
        url: format!("{}/api/claim_key", server.base_url),
        slug: slug.clone(),
    });

    let before = simulator::fetch_state(&http, &server.simulator_url).await?;
    let sampler = memory::RssSampler::start(server.pid());
    let run: ShapeRun = match shape {
        Shape::Burst => claims::fire_burst(target, &attendees).await?,
        Shape::Paced => claims::fire_paced(target, &attendees, options.rate_per_second).await?,
    };
    let sampled_peak_kib = sampler.finish();
    let after = simulator::fetch_state(&http, &server.simulator_url).await?;

    Ok(ShapeReport::new(ShapeFacts {
        label: shape_label(shape, options),
        simulator_latency_ms: options.latency_ms,
        run,
        calls: after.calls_since(&before),
        simulator_keys: after.keys_for_workshop(&slug),
        peak_resident_kib: memory::peak_resident_kib(server.pid()),
        sampled_peak_kib,
        resident_now_kib: memory::resident_kib(server.pid()),
    }))
}

fn shape_label(shape: Shape, options: &Options) -> String {
    match shape {
        Shape::Burst => format!("burst ({} at once)", options.attendees),
        Shape::Paced => format!(
            "paced ({} at {}/s)",
            options.attendees, options.rate_per_second
        ),
    }
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
