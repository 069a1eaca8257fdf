//! The server under test: the real release binary in demo mode, started as a child
//! process the way `end2end/run.mjs` starts it, with a throwaway database and workshop
//! folder.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// Variables that would switch the server to live mode (real OpenRouter, real sign-in).
/// They are set empty for the child: the server treats empty as unset, and a variable
/// that exists is not overridden by a `.env` file, so the benchmark can never mint real
/// keys whatever the developer's shell or `.env` holds.
const LIVE_MODE_VARIABLES: [&str; 5] = [
    "OPENROUTER_MANAGEMENT_KEY",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
];

const STARTUP_DEADLINE: Duration = Duration::from_secs(60);

pub struct ServerSetup<'a> {
    pub binary: &'a Path,
    pub repo_root: &'a Path,
    pub simulator_latency_ms: u64,
    /// `None`: a SQLite file in the temporary folder.
    pub database_url: Option<&'a str>,
    pub workshops: &'a [WorkshopSpec],
}

/// One benchmark workshop: its claim window and pool.
pub struct WorkshopSpec {
    pub slug: String,
    pub window: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
    /// `key_pool` as written in the file.
    pub key_pool: String,
    pub max_attendees: Option<usize>,
}

pub struct BenchServer {
    // Declared before `_data_dir` so that, on every path out (errors and panics
    // included), the server is killed before its database folder is deleted.
    child: Child,
    pid: u32,
    pub base_url: String,
    pub simulator_url: String,
    _data_dir: TempDir,
}

impl BenchServer {
    /// Starts the server and waits until `/healthz` answers 200.
    pub async fn start(setup: &ServerSetup<'_>, http: &reqwest::Client) -> Result<Self> {
        if !setup.binary.is_file() {
            bail!(
                "no server binary at {} (build it with `cargo build --release -p server --bin server`)",
                setup.binary.display()
            );
        }
        let data_dir = tempfile::Builder::new()
            .prefix("wkm-bench-")
            .tempdir()
            .context("cannot create a temporary folder")?;
        let workshops_dir = write_workshops(data_dir.path(), setup.workshops)?;
        let site_addr = format!("127.0.0.1:{}", free_port()?);
        let simulator_addr = format!("127.0.0.1:{}", free_port()?);
        let database_url = setup
            .database_url
            .map(str::to_string)
            .unwrap_or_else(|| format!("sqlite://{}/bench.db?mode=rwc", data_dir.path().display()));

        let mut command = Command::new(setup.binary);
        command
            .current_dir(setup.repo_root)
            .env("LEPTOS_OUTPUT_NAME", "workshop-key-minter")
            .env("LEPTOS_SITE_ROOT", setup.repo_root.join("target/site"))
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("LEPTOS_SITE_ADDR", &site_addr)
            .env("LEPTOS_ENV", "PROD")
            .env("DEMO_MODE", "true")
            .env("DATABASE_URL", &database_url)
            // `--database-url` names a fresh database of the benchmark's own.
            .env("DEMO_ALLOW_POSTGRES", "true")
            .env("WORKSHOPS_DIR", &workshops_dir)
            .env("RUST_LOG", "warn")
            // The background usage sync lists the whole account; once a minute it would
            // add calls to whichever shape is running. It is measured on its own
            // (usage_sync tests), so here it stays out of the counts.
            .env("USAGE_SYNC_INTERVAL_SECS", "86400")
            .env("SHUTDOWN_GRACE_SECS", "0")
            .env("DEMO_SIMULATOR_ADDR", &simulator_addr)
            .env(
                "DEMO_SIMULATOR_LATENCY_MS",
                setup.simulator_latency_ms.to_string(),
            )
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for variable in LIVE_MODE_VARIABLES {
            command.env(variable, "");
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", setup.binary.display()))?;
        let pid = child
            .id()
            .context("the server exited as soon as it started")?;

        let mut server = BenchServer {
            child,
            pid,
            base_url: format!("http://{site_addr}"),
            simulator_url: format!("http://{simulator_addr}"),
            _data_dir: data_dir,
        };
        server.wait_until_healthy(http).await?;
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Kills the server and reaps it. Dropping a `BenchServer` also kills it; this
    /// variant additionally waits, so the temporary folder is deleted after it exited.
    /// SIGTERM and the server's drain (its grace period is 0 here), so a wrapper such as
    /// a memory profiler gets to write its report; killed if it is not gone in 30 s.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = tokio::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
            let exited = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
            if exited.is_ok() {
                return Ok(());
            }
        }
        self.child.kill().await.context("cannot stop the server")
    }

    async fn wait_until_healthy(&mut self, http: &reqwest::Client) -> Result<()> {
        let url = format!("{}/healthz", self.base_url);
        let deadline = Instant::now() + STARTUP_DEADLINE;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().context("cannot watch the server")? {
                bail!("the server exited during start-up ({status}); see its output above");
            }
            let answer = http.get(&url).send().await;
            if answer.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            // A poll interval, not a synchronisation: the server is not listening yet.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server did not answer {url} within {STARTUP_DEADLINE:?}")
    }
}

/// One workshop file per spec, with a budget far above what any run can spend, so only
/// the claim path itself is measured.
fn write_workshops(data_dir: &Path, workshops: &[WorkshopSpec]) -> Result<PathBuf> {
    let workshops_dir = data_dir.join("workshops");
    std::fs::create_dir(&workshops_dir)
        .with_context(|| format!("cannot create {}", workshops_dir.display()))?;
    let rfc3339 =
        |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for workshop in workshops {
        let path = workshops_dir.join(format!("{}.yaml", workshop.slug));
        let max_attendees = workshop
            .max_attendees
            .map(|max| format!("max_attendees: {max}\n"))
            .unwrap_or_default();
        let content = format!(
            "title: Benchmark ({})\n\
             timezone: UTC\n\
             claims_open_at: {}\n\
             claims_close_at: {}\n\
             key_limit_usd: 1\n\
             limit_usd: 100000\n\
             {max_attendees}\
             key_pool: {}\n\
             allowed_models: [openai/gpt-5-nano]\n\
             admins: [{}]\n",
            workshop.slug,
            rfc3339(workshop.window.0),
            rfc3339(workshop.window.1),
            workshop.key_pool,
            crate::admin::ORGANISER
        );
        std::fs::write(&path, content)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(workshops_dir)
}

/// A port that was free a moment ago. The server binds it shortly after; the small race
/// is the same one `end2end/run.mjs` accepts.
fn free_port() -> Result<u16> {
    let probe = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(probe
        .local_addr()
        .context("cannot read the probe's port")?
        .port())
}
