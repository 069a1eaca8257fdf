//! The axum host. `server` (or `server serve`) runs the site; `server check [FOLDER…]`
//! validates the workshop files and exits non-zero on any problem (for organisers' CI).

use std::process::ExitCode;

use server::{application::Application, config::Config, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("check") => server::check::run(&args[1..]),
        Some("migrate") => server::migrate::run().await,
        Some("rekey") => server::key_ring::rekey().await,
        Some("new-key") => server::key_ring::new_key(args.get(1).map(String::as_str)),
        Some("--help" | "-h" | "help") => {
            println!(
                "usage: server [serve]          run the site (configuration from the environment)"
            );
            println!(
                "       server check [FOLDER…]  validate the workshop files and templates (default: workshops/)"
            );
            println!(
                "       server migrate          apply the database migrations (DATABASE_URL) and exit"
            );
            println!(
                "       server new-key [ID]     print a fresh key for KEY_ENCRYPTION_KEYS (id:base64)"
            );
            println!(
                "       server rekey            re-seal every stored key under KEY_ENCRYPTION_KEYS' first key"
            );
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown command `{other}`; try `server --help`");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> ExitCode {
    telemetry::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("configuration error: {error}");
            return ExitCode::from(2);
        }
    };
    let application = match Application::build(config).await {
        Ok(application) => application,
        Err(error) => {
            // Start-up problems (a bad workshop file, an unreachable database) are the
            // operator's to fix: say what, without a backtrace.
            eprintln!("cannot start: {error:#}");
            return ExitCode::from(2);
        }
    };
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server stopped: {error:#}");
            ExitCode::FAILURE
        }
    }
}
