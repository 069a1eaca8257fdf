//! The OpenRouter side of the application: the client the mint and the usage sync
//! share, pointed at OpenRouter in a real deployment and, in demo mode, at an
//! OpenRouter simulator started in this process. A binary built without the `demo`
//! feature has no simulator at all (the configuration refuses demo mode first).

use anyhow::Context;

use app::server::openrouter::{BreakerSettings, ClientSettings, OpenRouterClient};
use app::server::secret::Secret;

use crate::config::{Config, Mode};

/// The demo simulator's management key. Public on purpose: it guards nothing real.
pub const DEMO_MANAGEMENT_KEY: &str = "sk-or-v1-demo-simulator";

/// The simulator demo mode runs on; it stops when dropped.
#[cfg(feature = "demo")]
pub type DemoSimulator = openrouter_sim::RunningSimulator;
/// Without the `demo` feature there is no simulator: a type with no values.
#[cfg(not(feature = "demo"))]
pub enum DemoSimulator {}

pub struct OpenRouterSetup {
    pub client: OpenRouterClient,
    /// Kept alive with the application in demo mode.
    pub demo_simulator: Option<DemoSimulator>,
}

pub async fn connect(config: &Config) -> anyhow::Result<OpenRouterSetup> {
    let (mut settings, demo_simulator) = match &config.mode {
        Mode::Live(live) => (
            ClientSettings::new(
                &live.openrouter_base_url,
                live.openrouter_management_key.clone(),
            ),
            None,
        ),
        Mode::Demo => {
            let running = start_demo_simulator(config).await?;
            let settings =
                ClientSettings::new(running_base_url(&running), Secret::new(DEMO_MANAGEMENT_KEY));
            (settings, Some(running))
        }
    };
    settings.timeout = config.openrouter_timeout;
    settings.breaker = BreakerSettings {
        first_backoff: config.openrouter_breaker,
        max_backoff: config.openrouter_breaker * 15,
        ..BreakerSettings::default()
    };
    let client = OpenRouterClient::new(settings).context("cannot build the OpenRouter client")?;
    Ok(OpenRouterSetup {
        client,
        demo_simulator,
    })
}

#[cfg(feature = "demo")]
async fn start_demo_simulator(config: &Config) -> anyhow::Result<DemoSimulator> {
    let running = openrouter_sim::Simulator::new(DEMO_MANAGEMENT_KEY)
        .spawn(config.demo_simulator_addr)
        .await
        .with_context(|| {
            format!(
                "cannot start the demo OpenRouter simulator on {}",
                config.demo_simulator_addr
            )
        })?;
    running
        .simulator()
        .set_latency(config.demo_simulator_latency);
    tracing::info!(base_url = %running.base_url(), "demo OpenRouter simulator listening");
    Ok(running)
}

#[cfg(feature = "demo")]
fn running_base_url(running: &DemoSimulator) -> &str {
    running.base_url()
}

#[cfg(not(feature = "demo"))]
async fn start_demo_simulator(_config: &Config) -> anyhow::Result<DemoSimulator> {
    // Unreachable in practice: the configuration refuses demo mode in such a build.
    anyhow::bail!("this server was built without demo mode (cargo feature `demo`)")
}

#[cfg(not(feature = "demo"))]
fn running_base_url(running: &DemoSimulator) -> &str {
    match *running {}
}
