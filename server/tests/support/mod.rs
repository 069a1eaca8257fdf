//! Starts the real server on port 0 with a fresh SQLite file, the given workshops and
//! a throwaway site folder, for HTTP-level tests.
#![allow(dead_code)] // each test binary uses a different part of this

pub mod browser;
pub mod github_standin;
pub mod oidc_peer;

use std::path::{Path, PathBuf};

use app::server::secret::Secret;
use leptos::config::LeptosOptions;
use server::application::Application;
use server::config::{Config, LiveSettings, Mode};

pub const OPEN_WORKSHOP: &str = "\
title: Open now
timezone: Europe/Berlin
claims_open_at: 2020-01-01T08:00:00+01:00
claims_close_at: 2099-12-31T18:00:00+01:00
key_limit_usd: 2
limit_usd: 10
allowed_models: [openai/gpt-5-nano]
admins: [organiser@example.com]
";

pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub database_url: String,
    /// Demo mode's in-process OpenRouter simulator, to inspect and disturb.
    pub demo_simulator: Option<server::openrouter_simulator::Simulator>,
    _dir: tempfile::TempDir,
}

pub struct TestAppBuilder {
    dir: tempfile::TempDir,
    hash_files: bool,
    mode: Mode,
    database_url: Option<String>,
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
            mode: Mode::Demo,
            database_url: None,
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

    pub fn hashed_files(mut self) -> Self {
        self.hash_files = true;
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
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
            database_url: self.database_url.clone().unwrap_or_else(|| {
                format!("sqlite://{}/test.db?mode=rwc", self.dir.path().display())
            }),
            workshops_dir: self.dir.path().join("workshops"),
            mode: self.mode.clone(),
            usage_sync_interval: std::time::Duration::from_secs(60),
            demo_simulator_addr: "127.0.0.1:0".parse().unwrap(),
            demo_simulator_latency: std::time::Duration::ZERO,
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
        let database_url = self.config().database_url;
        let base_url = format!("http://{}", application.address());
        let demo_simulator = application.demo_simulator().cloned();
        tokio::spawn(application.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            base_url,
            client,
            database_url,
            demo_simulator,
            _dir: self.dir,
        }
    }
}

impl TestApp {
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
