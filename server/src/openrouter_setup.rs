//! The OpenRouter side of the application: the client the mint and the usage sync
//! share, pointed at OpenRouter in a real deployment and, in demo mode, at an
//! OpenRouter simulator started in this process. A binary built without the `demo`
//! feature has no simulator at all: not its code, its routes or its management key
//! (the configuration refuses demo mode in such a build before this runs).

use std::sync::Arc;

use anyhow::Context;

use engine::openrouter::{BreakerSettings, ClientSettings, OpenRouterClient};
use engine::state::DemoSpending;

use crate::config::{Config, Mode};

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

impl OpenRouterSetup {
    /// Demo mode's way to spend on the simulator's keys.
    pub fn demo_spending(&self) -> Option<Arc<dyn DemoSpending>> {
        self.demo_simulator.as_ref().map(demo::spending)
    }
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
        Mode::Demo { .. } => {
            let (settings, running) = demo::start(config).await?;
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
mod demo {
    use std::sync::Arc;

    use anyhow::Context;

    use engine::openrouter::ClientSettings;
    use engine::secret::Secret;
    use engine::state::DemoSpending;

    use super::DemoSimulator;
    use crate::config::Config;

    /// The demo simulator's management key. Public on purpose: it guards nothing real.
    pub const DEMO_MANAGEMENT_KEY: &str = "sk-or-v1-demo-simulator";

    pub async fn start(config: &Config) -> anyhow::Result<(ClientSettings, DemoSimulator)> {
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
        let settings = ClientSettings::new(running.base_url(), Secret::new(DEMO_MANAGEMENT_KEY));
        Ok((settings, running))
    }

    struct SimulatorSpending(openrouter_sim::Simulator);

    impl DemoSpending for SimulatorSpending {
        fn spend(&self, key_hash: &str, usd: f64) -> bool {
            self.0.add_usage(key_hash, usd)
        }
    }

    pub fn spending(running: &DemoSimulator) -> Arc<dyn DemoSpending> {
        Arc::new(SimulatorSpending(running.simulator().clone()))
    }
}

#[cfg(not(feature = "demo"))]
mod demo {
    use std::sync::Arc;

    use engine::openrouter::ClientSettings;
    use engine::state::DemoSpending;

    use super::DemoSimulator;
    use crate::config::Config;

    pub async fn start(_config: &Config) -> anyhow::Result<(ClientSettings, DemoSimulator)> {
        // Unreachable in practice: the configuration refuses demo mode in such a build.
        anyhow::bail!("this server was built without demo mode (cargo feature `demo`)")
    }

    pub fn spending(running: &DemoSimulator) -> Arc<dyn DemoSpending> {
        match *running {}
    }
}
