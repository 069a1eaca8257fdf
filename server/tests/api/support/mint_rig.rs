//! A mint on a fresh database with its own OpenRouter simulator, for the claim tests:
//! attendees to sign up, workshops to write, and checks on what OpenRouter ended up with.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::support::windows::Window;
use engine::db::{Attendance, Attendee, Database, SignedInAttendee};
use engine::mint::{MintSettings, Minter};
use engine::openrouter::{ClientSettings, OpenRouterClient, RetryPolicy};
use engine::registry::{parse_workshop_file, Workshop};
use engine::secret::Secret;
use openrouter_sim::{RunningSimulator, SimKey, Simulator};

pub const MANAGEMENT_KEY: &str = "sk-or-v1-mint-test";

pub struct MintRig {
    pub database: Database,
    pub simulator: RunningSimulator,
    pub client: OpenRouterClient,
    pub minter: Minter,
}

/// Short timeouts and backoff, so fault tests take milliseconds, not minutes.
pub fn fast_client(base_url: &str) -> OpenRouterClient {
    let mut settings = ClientSettings::new(base_url, Secret::new(MANAGEMENT_KEY));
    settings.timeout = Duration::from_millis(400);
    settings.retry = fast_retry();
    // These tests make OpenRouter fail and expect the next call to go through; the
    // breaker has tests of its own.
    settings.breaker.first_backoff = Duration::ZERO;
    OpenRouterClient::new(settings).unwrap()
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

pub fn fast_mint_settings() -> MintSettings {
    MintSettings {
        retry: fast_retry(),
        wait_for_other: Duration::from_secs(1),
        // Automatic rebinds would race the tests' own retries.
        rebind_first_delay: Duration::from_secs(3600),
        ..MintSettings::default()
    }
}

impl MintRig {
    pub async fn start(database_url: &str) -> MintRig {
        MintRig::start_with(database_url, fast_mint_settings()).await
    }

    pub async fn start_with(database_url: &str, settings: MintSettings) -> MintRig {
        let database = crate::support::test_database(database_url).await;
        let simulator = Simulator::new(MANAGEMENT_KEY)
            .spawn("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let client = fast_client(simulator.base_url());
        let minter = Minter::new(database.clone(), client.clone(), settings);
        MintRig {
            database,
            simulator,
            client,
            minter,
        }
    }

    /// A second server instance: its own pool and mint, the same database and simulator.
    pub async fn another_instance(&self, database_url: &str) -> Minter {
        self.another_instance_with(database_url, fast_mint_settings())
            .await
    }

    pub async fn another_instance_with(
        &self,
        database_url: &str,
        settings: MintSettings,
    ) -> Minter {
        let database = crate::support::test_database(database_url).await;
        Minter::new(database, self.client.clone(), settings)
    }

    pub fn sim(&self) -> &Simulator {
        self.simulator.simulator()
    }

    pub async fn attendee(&self, email: &str) -> Attendee {
        let normalized = email.to_ascii_lowercase();
        self.database
            .upsert_attendee(
                &SignedInAttendee {
                    user_id: format!("demo:{normalized}"),
                    email: email.to_string(),
                    email_normalized: normalized,
                    display_name: None,
                    auth_provider: "demo".into(),
                },
                1,
            )
            .await
            .unwrap()
    }

    /// The attendee's row of workshop `slug`, which must exist.
    pub async fn row(&self, attendee: &Attendee, slug: &str) -> Attendance {
        self.database
            .find_attendance(&attendee.user_id, slug)
            .await
            .unwrap()
            .expect("the attendee has a row")
    }

    /// Every simulator key of workshop `slug` (disabled ones included).
    pub fn keys_of(&self, slug: &str) -> Vec<SimKey> {
        let prefix = format!("workshop-{slug}-");
        self.sim()
            .keys()
            .into_iter()
            .filter(|key| key.data.name.starts_with(&prefix))
            .collect()
    }

    /// Nothing lost, nothing extra: every active key of the workshop is stored on a row,
    /// and no row name has two.
    pub async fn assert_no_orphans_or_duplicates(&self, slug: &str) {
        let rows = self.database.list_attendance(slug).await.unwrap();
        let stored: Vec<&str> = rows.iter().filter_map(|row| row.key_hash()).collect();
        let mut names = std::collections::HashSet::new();
        for key in self.keys_of(slug) {
            if key.data.disabled {
                continue;
            }
            assert!(
                stored.contains(&key.data.hash.as_str()),
                "active key {} on OpenRouter is not stored on any row",
                key.data.name
            );
            assert!(
                names.insert(key.data.name.clone()),
                "two active keys named {}",
                key.data.name
            );
        }
    }
}

/// A workshop open now with keys of $2, a budget of `limit_usd` dollars and the given
/// extra lines (domains, `max_attendees`).
pub fn workshop(slug: &str, limit_usd: u32, extra: &str) -> Arc<Workshop> {
    workshop_in(slug, Window::open_now(), limit_usd, extra)
}

/// [`workshop`] with its claims open during `window`.
pub fn workshop_in(slug: &str, window: Window, limit_usd: u32, extra: &str) -> Arc<Workshop> {
    let source = format!(
        "title: Mint test\ntimezone: UTC\n{}key_limit_usd: 2\nlimit_usd: {limit_usd}\n\
         allowed_models: [openai/gpt-5-nano, anthropic/claude-sonnet-4.6]\n{extra}{}",
        window.yaml(),
        crate::support::no_pool_unless_asked(extra)
    );
    let file = parse_workshop_file(Path::new(&format!("{slug}.yaml")), &source);
    Arc::new(file.expect("a valid workshop"))
}
