//! `openrouter-sim`: the simulator on a port of its own, for anyone who wants to point an
//! OpenRouter client at something that behaves like the Management API without spending
//! money. Steer it through its `/_simulator/*` routes (see the library docs).
//!
//! ```text
//! openrouter-sim [--addr 127.0.0.1:4010] [--latency-ms 150] [--management-key KEY]
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use openrouter_sim::Simulator;

/// The key clients must send when none is given: public on purpose, it guards nothing.
const DEFAULT_MANAGEMENT_KEY: &str = "sk-or-v1-demo-simulator";

struct Options {
    addr: SocketAddr,
    latency: Duration,
    management_key: String,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        addr: SocketAddr::from(([127, 0, 0, 1], 4010)),
        latency: Duration::ZERO,
        management_key: std::env::var("OPENROUTER_SIM_MANAGEMENT_KEY")
            .unwrap_or_else(|_| DEFAULT_MANAGEMENT_KEY.to_string()),
    };
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value = || {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--addr" => {
                let text = value()?;
                options.addr = text
                    .parse()
                    .map_err(|_| format!("--addr must look like 127.0.0.1:4010, not {text:?}"))?;
            }
            "--latency-ms" => {
                let text = value()?;
                let millis: u64 = text
                    .parse()
                    .map_err(|_| format!("--latency-ms must be a number, not {text:?}"))?;
                options.latency = Duration::from_millis(millis);
            }
            "--management-key" => options.management_key = value()?,
            other => return Err(format!("unknown option {other:?}; try --help")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!(
            "usage: openrouter-sim [--addr 127.0.0.1:4010] [--latency-ms N] [--management-key KEY]"
        );
        println!("       (the key defaults to $OPENROUTER_SIM_MANAGEMENT_KEY or {DEFAULT_MANAGEMENT_KEY})");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("openrouter-sim: {message}");
            return ExitCode::from(2);
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let simulator = Simulator::new(options.management_key);
    simulator.set_latency(options.latency);
    let running = match simulator.spawn(options.addr).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("openrouter-sim: cannot listen on {}: {error}", options.addr);
            return ExitCode::from(2);
        }
    };
    // One line a script can wait for and parse.
    println!("ready {}", running.base_url());
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
