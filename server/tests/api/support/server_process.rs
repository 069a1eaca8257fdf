//! The real server binary as a child process, for what only a process can show: being
//! killed with SIGKILL mid-burst and started again on the same database. It runs in live
//! mode against a simulator in the test process; attendees get sessions written straight
//! into the database (no provider round trip needed to test the mint).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use engine::db::{Attendee, Database, SignedInAttendee};
use engine::session::{hash_token, new_token};
use tokio::process::{Child, Command};

pub struct ServerProcess {
    child: Child,
    pub base_url: String,
    /// Its stderr, line by line, when started with [`ServerSetup::capture_logs`].
    pub logs: Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
}

/// What every start of the server shares: its folders, database and OpenRouter.
pub struct ServerSetup {
    pub dir: PathBuf,
    pub database_url: String,
    pub openrouter_base_url: String,
    pub management_key: String,
    /// More variables for every start (`SHUTDOWN_GRACE_SECS`, `LOG_FORMAT`, …).
    pub extra_env: Vec<(String, String)>,
    /// Keep stderr for the test to read instead of passing it through.
    pub capture_logs: bool,
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
            extra_env: Vec::new(),
            capture_logs: false,
        }
    }

    /// Starts the server binary expecting it to refuse to start; returns its stderr.
    pub async fn start_expecting_refusal(&self) -> String {
        let mut command = self.command(0);
        command.stderr(Stdio::piped());
        let output = tokio::time::timeout(Duration::from_secs(30), command.output())
            .await
            .expect("the refusal comes quickly")
            .unwrap();
        assert!(!output.status.success(), "the server started");
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    /// Starts the server binary on a free port and waits until `/healthz` answers.
    pub async fn start(&self) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base_url = format!("http://127.0.0.1:{port}");
        let mut command = self.command(port);
        command.stderr(if self.capture_logs {
            Stdio::piped()
        } else {
            Stdio::inherit()
        });
        let mut child = command.spawn().expect("the server binary starts");
        let logs = child.stderr.take().map(|stderr| {
            let (lines, logs) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(async move {
                use tokio::io::AsyncBufReadExt;
                let mut reader = tokio::io::BufReader::new(stderr).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    let _ = lines.send(line);
                }
            });
            logs
        });
        let mut process = ServerProcess {
            child,
            base_url,
            logs,
        };
        process.wait_until_healthy(Duration::from_secs(30)).await;
        process
    }

    /// The server binary's command line for `port`, with this setup's variables.
    fn command(&self, port: u16) -> Command {
        let base_url = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
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
            .env("KEY_ENCRYPTION_KEYS", crate::support::TEST_KEY_RING)
            .envs(self.extra_env.iter().map(|(name, value)| (name, value)))
            .stdout(Stdio::null())
            .kill_on_drop(true);
        command
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

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    /// SIGTERM, as systemd or Kubernetes stop a service: the server drains.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the server is running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
    }

    /// Waits for the process to end (fails after `within`); its exit status.
    pub async fn wait_for_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the server did not exit within {within:?}"))
            .unwrap()
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
