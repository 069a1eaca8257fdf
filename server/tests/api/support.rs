//! Starts the real server on port 0 with a fresh SQLite file, the given workshops and
//! a throwaway site folder, for HTTP-level tests.

pub mod browser;
#[macro_use]
pub mod databases;
pub mod github_standin;
pub mod mint_rig;
pub mod oidc_peer;
pub mod server_process;
pub mod windows;
// Shared with the simulator's own tests, which use all of it.
#[allow(dead_code)]
#[path = "../../../openrouter-sim/tests/api/openapi.rs"]
pub mod openapi;

use std::path::PathBuf;

use engine::secret::Secret;
use leptos::config::LeptosOptions;
use server::application::Application;
use server::config::{Config, LiveSettings, Mode};

/// A workshop open now (since yesterday, for 30 days), its organiser
/// `organiser@example.com`.
pub fn open_workshop() -> String {
    workshop_file(
        "Open now",
        windows::Window::open_now(),
        "admins: [organiser@example.com]\n",
    )
}

/// A workshop file: `title`, the `window`, keys of $2 and a $10 budget, and `extra` lines.
pub fn workshop_file(title: &str, window: windows::Window, extra: &str) -> String {
    format!(
        "title: {title}\ntimezone: Europe/Berlin\n{}key_limit_usd: 2\nlimit_usd: 10\n\
         allowed_models: [openai/gpt-5-nano]\n{extra}{}",
        window.yaml(),
        no_pool_unless_asked(extra)
    )
}

/// `key_pool: 0` unless `extra` sets the pool: the tests written before the warm pool
/// expect claims to mint directly (and count OpenRouter calls accordingly); the pool's
/// own tests ask for one.
pub fn no_pool_unless_asked(extra: &str) -> &'static str {
    if extra.contains("key_pool:") {
        ""
    } else {
        "key_pool: 0\n"
    }
}

/// The key ring every test server seals stored keys with (`KEY_ENCRYPTION_KEYS`), so a
/// test's own database handle can open what the server stored.
pub const TEST_KEY_RING: &str = "test1:dGhpcnR5LXR3by1ieXRlcy1vZi10ZXN0LWtleSEhISE=";

pub fn test_key_ring() -> engine::sealing::KeyRing {
    engine::sealing::KeyRing::parse(TEST_KEY_RING).expect("the test key ring")
}

/// The database at `url`, migrated, with the test key ring.
pub async fn test_database(url: &str) -> engine::db::Database {
    engine::db::Database::connect(url)
        .await
        .expect("the test database")
        .with_keys(test_key_ring())
}

/// A request the server has not answered by then is a failure with a message, not a
/// hung test run.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub database_url: String,
    /// Demo mode's in-process OpenRouter simulator, to inspect and disturb.
    pub demo_simulator: Option<openrouter_sim::Simulator>,
    demo_simulator_url: Option<String>,
    /// Prometheus metrics (`/metrics` on their own listener), when asked for.
    pub metrics_url: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

pub struct TestAppBuilder {
    dir: tempfile::TempDir,
    hash_files: bool,
    mode: Mode,
    database_url: Option<String>,
    openrouter_timeout: std::time::Duration,
    openrouter_breaker: std::time::Duration,
    metrics_addr: Option<std::net::SocketAddr>,
    drain: server::drain::DrainSettings,
}

/// Live-mode settings with no sign-in provider; tests add the one they exercise.
pub fn live_settings() -> LiveSettings {
    LiveSettings {
        public_url: String::new(),
        openrouter_base_url: "http://127.0.0.1:9/api/v1".into(),
        openrouter_management_key: Secret::new("sk-or-v1-test-management-key"),
        google: None,
        github: None,
        google_issuer_url: "http://127.0.0.1:9".into(),
        github_oauth_url: "http://127.0.0.1:9".into(),
        github_api_url: "http://127.0.0.1:9".into(),
        admin_emails: Vec::new(),
    }
}

impl TestAppBuilder {
    pub fn new() -> Self {
        init_logs();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("workshops")).unwrap();
        std::fs::create_dir_all(dir.path().join("site/pkg")).unwrap();
        TestAppBuilder {
            dir,
            hash_files: false,
            mode: Mode::Demo { public_url: None },
            database_url: None,
            openrouter_timeout: std::time::Duration::from_secs(5),
            openrouter_breaker: std::time::Duration::from_secs(2),
            metrics_addr: None,
            // Tests stop their servers by dropping them: no grace period to wait out.
            drain: server::drain::DrainSettings {
                grace: std::time::Duration::ZERO,
                timeout: std::time::Duration::from_secs(5),
            },
        }
    }

    pub fn workshop(self, slug: &str, yaml: &str) -> Self {
        std::fs::write(self.dir.path().join(format!("workshops/{slug}.yaml")), yaml).unwrap();
        self
    }

    pub fn site_file(self, relative: &str, content: &str) -> Self {
        std::fs::write(self.dir.path().join("site").join(relative), content).unwrap();
        self
    }

    /// Share another instance's database (several instances behind one load balancer).
    pub fn database(mut self, url: &str) -> Self {
        self.database_url = Some(url.to_string());
        self
    }

    /// A real deployment's mode: providers instead of demo sign-in.
    pub fn live(mut self, settings: LiveSettings) -> Self {
        self.mode = Mode::Live(Box::new(settings));
        self
    }

    /// Serves Prometheus metrics on a listener of its own (`METRICS_ADDR`).
    pub fn metrics_addr(mut self, addr: std::net::SocketAddr) -> Self {
        self.metrics_addr = Some(addr);
        self
    }

    /// How the server drains when the test stops it ([`TestApp::stop`]).
    pub fn drain(mut self, settings: server::drain::DrainSettings) -> Self {
        self.drain = settings;
        self
    }

    /// How long one OpenRouter call may take (outage tests shorten it).
    pub fn openrouter_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.openrouter_timeout = timeout;
        self
    }

    /// The circuit breaker's first back-off; zero turns it off, for tests that make
    /// OpenRouter fail and then expect the very next call to go through.
    pub fn openrouter_breaker(mut self, backoff: std::time::Duration) -> Self {
        self.openrouter_breaker = backoff;
        self
    }

    /// Serves as a release build does: file names with hashes, read by leptos from the
    /// `hash.txt` that cargo-leptos writes next to the server binary. Here the binary
    /// is the test executable, so the file is written next to it (once, atomically:
    /// tests run in parallel processes).
    pub fn hashed_files(mut self) -> Self {
        self.hash_files = true;
        let exe = std::env::current_exe().expect("the test executable's path");
        let hash_file = exe.parent().expect("its folder").join("hash.txt");
        if !hash_file.exists() {
            let draft = hash_file.with_extension(format!("txt.{}", std::process::id()));
            std::fs::write(
                &draft,
                "js: 0123456789abcdef\nwasm: 0123456789abcdef\ncss: 0123456789abcdef\n",
            )
            .unwrap();
            std::fs::rename(&draft, &hash_file).unwrap();
        }
        self
    }

    pub fn config(&self) -> Config {
        let site_root: PathBuf = self.dir.path().join("site");
        let leptos_options = LeptosOptions::builder()
            .output_name("workshop-key-minter")
            .site_root(site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
            .hash_files(self.hash_files)
            .build();
        Config {
            leptos_options,
            database_url: Secret::new(self.database_url.clone().unwrap_or_else(|| {
                format!("sqlite://{}/test.db?mode=rwc", self.dir.path().display())
            })),
            workshops_dir: self.dir.path().join("workshops"),
            mode: self.mode.clone(),
            usage_sync_interval: std::time::Duration::from_secs(60),
            demo_simulator_addr: "127.0.0.1:0".parse().unwrap(),
            demo_simulator_latency: std::time::Duration::ZERO,
            openrouter_timeout: self.openrouter_timeout,
            openrouter_breaker: self.openrouter_breaker,
            key_pool_lead: std::time::Duration::from_secs(30 * 60),
            drain: self.drain,
            metrics_addr: self.metrics_addr,
            migrate_on_start: true,
            key_ring: Some(test_key_ring()),
            key_retention: None,
        }
    }

    pub async fn spawn(self) -> TestApp {
        let application = Application::build(self.config())
            .await
            .expect("the test server starts");
        self.serve(application)
    }

    /// Serves on a listener the test bound earlier (to register its URL with a provider).
    pub async fn spawn_on(self, listener: std::net::TcpListener) -> TestApp {
        let application = Application::build_with_listener(self.config(), listener)
            .await
            .expect("the test server starts");
        self.serve(application)
    }

    fn serve(self, application: Application) -> TestApp {
        let database_url = self.config().database_url.expose().to_string();
        let base_url = format!("http://{}", application.address());
        let demo_simulator = application.demo_simulator().cloned();
        let demo_simulator_url = application.demo_simulator_url();
        let metrics_url = application
            .metrics_address()
            .map(|address| format!("http://{address}/metrics"));
        // Stopped when the TestApp is dropped (the sender goes with it), never by a signal.
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(application.run_until(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .unwrap();
        TestApp {
            base_url,
            client,
            database_url,
            demo_simulator,
            demo_simulator_url,
            metrics_url,
            stop: Some(stop),
            _dir: self.dir,
        }
    }
}

impl TestApp {
    /// Tells the server to stop, as SIGTERM would: it drains (see `server::drain`).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// The metrics as Prometheus text.
    pub async fn scrape(&self) -> String {
        let url = self.metrics_url.as_ref().expect("metrics were asked for");
        let response = self.client.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .unwrap()
    }
}

/// Binds a free loopback port now, so its URL can be registered before the server exists.
pub fn reserve_listener() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    (listener, url)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Who the server thinks `browser` is, through the same server function the pages use.
    pub async fn signed_in_email(&self, browser: &browser::Browser) -> Option<String> {
        let response = browser
            .client
            .post(self.url("/api/get_site_info"))
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let info: serde_json::Value = response.json().await.unwrap();
        info["user"]["email"].as_str().map(str::to_string)
    }
}

impl TestApp {
    /// A browser signed in through the demo form (demo mode only).
    pub async fn demo_sign_in(&self, email: &str) -> browser::Browser {
        let browser = browser::Browser::new();
        let response = browser
            .post_form(
                &self.url("/auth/demo"),
                &[("name", "Grace"), ("email", email), ("next", "/w/open-now")],
            )
            .await;
        assert_eq!(response.status(), 303, "demo sign-in as {email}");
        browser
    }

    /// Calls server function `name` with a form body; returns the status and the JSON.
    pub async fn call(
        &self,
        browser: &browser::Browser,
        name: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = browser
            .client
            .post(self.url(&format!("/api/{name}")))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
        )
    }

    /// Demo mode's simulator.
    pub fn simulator(&self) -> &openrouter_sim::Simulator {
        self.demo_simulator
            .as_ref()
            .expect("demo mode runs a simulator")
    }

    /// The demo simulator's OpenRouter API base (`…/api/v1`), to act as someone editing
    /// things on OpenRouter's own dashboard.
    pub fn simulator_url(&self) -> String {
        self.demo_simulator_url
            .clone()
            .expect("demo mode runs a simulator")
    }

    pub async fn database(&self) -> engine::db::Database {
        test_database(&self.database_url).await
    }
}

/// Server logs go to the test's captured output (shown when it fails). `RUST_LOG`
/// overrides the default `warn`.
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}
