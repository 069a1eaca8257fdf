//! The real server binary as a child process, for what only a process can show: being
//! killed with SIGKILL mid-burst and started again on the same database. It runs in live
//! mode against a simulator in the test process; attendees get sessions written straight
//! into the database (no provider round trip needed to test the mint).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use app::server::db::{Attendee, Database, SignedInAttendee};
use app::server::session::{hash_token, new_token};
use tokio::process::{Child, Command};

pub struct ServerProcess {
    child: Child,
    pub base_url: String,
}

/// What every start of the server shares: its folders, database and OpenRouter.
pub struct ServerSetup {
    pub dir: PathBuf,
    pub database_url: String,
    pub openrouter_base_url: String,
    pub management_key: String,
}

impl ServerSetup {
    /// A folder with `workshops/` (one file per `(slug, yaml)`) and an empty site.
    pub fn new(
        dir: &Path,
        workshops: &[(&str, String)],
        database_url: &str,
        openrouter_base_url: &str,
        management_key: &str,
    ) -> ServerSetup {
        std::fs::create_dir_all(dir.join("workshops")).unwrap();
        std::fs::create_dir_all(dir.join("site/pkg")).unwrap();
        for (slug, yaml) in workshops {
            std::fs::write(dir.join(format!("workshops/{slug}.yaml")), yaml).unwrap();
        }
        ServerSetup {
            dir: dir.to_path_buf(),
            database_url: database_url.to_string(),
            openrouter_base_url: openrouter_base_url.to_string(),
            management_key: management_key.to_string(),
        }
    }

    /// Starts the server binary on a free port and waits until `/healthz` answers.
    pub async fn start(&self) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base_url = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LEPTOS_OUTPUT_NAME", "workshop-key-minter")
            .env("LEPTOS_SITE_ROOT", self.dir.join("site"))
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", &self.database_url)
            .env("WORKSHOPS_DIR", self.dir.join("workshops"))
            .env("PUBLIC_URL", &base_url)
            .env("OPENROUTER_MANAGEMENT_KEY", &self.management_key)
            .env("OPENROUTER_BASE_URL", &self.openrouter_base_url)
            .env("GITHUB_CLIENT_ID", "crash-test")
            .env("GITHUB_CLIENT_SECRET", "crash-test-secret")
            .env("GITHUB_OAUTH_URL", "http://127.0.0.1:9")
            .env("GITHUB_API_URL", "http://127.0.0.1:9")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the server binary starts");
        let mut process = ServerProcess { child, base_url };
        process.wait_until_healthy(Duration::from_secs(30)).await;
        process
    }
}

impl ServerProcess {
    async fn wait_until_healthy(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        let client = reqwest::Client::new();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the server exited early: {status}");
            }
            let healthy = client
                .get(format!("{}/healthz", self.base_url))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if healthy {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not become healthy"
            );
            // A poll interval while the process starts, not a synchronisation.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown handler runs, nothing is flushed, nothing is handed back.
    pub async fn kill_hard(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

/// Signs `email` in by writing its attendee row and a session, as a sign-in would;
/// returns the attendee and the `Cookie` header value for the server.
pub async fn session_for(database: &Database, email: &str) -> (Attendee, String) {
    let now = chrono::Utc::now().timestamp();
    let attendee = database
        .upsert_attendee(
            &SignedInAttendee {
                user_id: format!("github:{email}"),
                email: email.to_string(),
                email_normalized: email.to_string(),
                display_name: None,
                auth_provider: "github".into(),
            },
            now,
        )
        .await
        .unwrap();
    let token = new_token();
    database
        .insert_session(&hash_token(&token), &attendee.user_id, now, now + 3_600)
        .await
        .unwrap();
    (attendee, format!("wkm_session={token}"))
}
