//! The OpenRouter side of the application: the client the mint and the usage sync
//! share, pointed at OpenRouter in a real deployment and, in demo mode, at an
//! OpenRouter simulator started in this process.

use anyhow::Context;

use app::server::openrouter::{ClientSettings, OpenRouterClient};
use app::server::secret::Secret;

use crate::config::{Config, Mode};
use crate::openrouter_simulator::{RunningSimulator, Simulator};

/// The demo simulator's management key. Public on purpose: it guards nothing real.
pub const DEMO_MANAGEMENT_KEY: &str = "sk-or-v1-demo-simulator";

pub struct OpenRouterSetup {
    pub client: OpenRouterClient,
    /// Kept alive with the application in demo mode.
    pub demo_simulator: Option<RunningSimulator>,
}

pub async fn connect(config: &Config) -> anyhow::Result<OpenRouterSetup> {
    let (settings, demo_simulator) = match &config.mode {
        Mode::Live(live) => (
            ClientSettings::new(
                &live.openrouter_base_url,
                live.openrouter_management_key.clone(),
            ),
            None,
        ),
        Mode::Demo => {
            let running = Simulator::new(DEMO_MANAGEMENT_KEY)
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
            let settings =
                ClientSettings::new(running.base_url(), Secret::new(DEMO_MANAGEMENT_KEY));
            (settings, Some(running))
        }
    };
    let client = OpenRouterClient::new(settings).context("cannot build the OpenRouter client")?;
    Ok(OpenRouterSetup {
        client,
        demo_simulator,
    })
}
