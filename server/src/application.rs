//! Builds the whole application from a [`Config`] and serves it. Tests call
//! [`Application::build`] with port 0 and talk to the real server.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::{middleware, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

use std::time::Duration;

use app::server::mint::{MintSettings, Minter};
use app::server::usage_sync::UsageSyncer;
use app::server::{db::Database, registry::Registry, session::SessionCookie, state::AppState};
use app::{shell, App};

use crate::auth::{self, GitHubSignIn, GoogleSignIn, SignInProviders};
use crate::config::Mode;
use crate::openrouter_simulator::{RunningSimulator, Simulator};
use crate::{
    assets, background, config::Config, health::health, openrouter_setup, server_fn_status,
};

pub struct Application {
    listener: TcpListener,
    router: Router,
    address: SocketAddr,
    state: AppState,
    demo_simulator: Option<RunningSimulator>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        // The registry first: a bad workshop file must stop start-up before anything else.
        let registry = Registry::load_dir(&config.workshops_dir).map_err(anyhow::Error::msg)?;
        let listener = TcpListener::bind(config.leptos_options.site_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.leptos_options.site_addr))?;
        Application::build_on(config, registry, listener).await
    }

    /// Builds on an already bound listener: tests that must know the port before the
    /// server exists (to register an OAuth redirect URL) bind it themselves.
    pub async fn build_with_listener(
        config: Config,
        listener: std::net::TcpListener,
    ) -> anyhow::Result<Application> {
        let registry = Registry::load_dir(&config.workshops_dir).map_err(anyhow::Error::msg)?;
        listener.set_nonblocking(true)?;
        Application::build_on(config, registry, TcpListener::from_std(listener)?).await
    }

    async fn build_on(
        config: Config,
        registry: Registry,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let address = listener.local_addr()?;
        let database = Database::connect(&config.database_url)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database ({})",
                    redact_url(&config.database_url)
                )
            })?;
        let (providers, public_url, admin_emails) = sign_in_providers(&config.mode, address)?;
        let openrouter = openrouter_setup::connect(&config).await?;
        let minter = Minter::new(
            database.clone(),
            openrouter.client.clone(),
            MintSettings::default(),
        );
        let usage_sync = UsageSyncer::new(
            database.clone(),
            openrouter.client,
            format!("{}:{}", hostname(), std::process::id()),
            config.usage_sync_interval,
        );
        let state = AppState {
            leptos_options: config.leptos_options.clone(),
            registry: Arc::new(registry),
            database,
            demo_mode: config.is_demo(),
            session_cookie: SessionCookie {
                secure: public_url.starts_with("https://"),
            },
            admin_emails: Arc::new(admin_emails),
            sign_in_methods: providers.methods(),
            minter,
            usage_sync,
        };
        if state.demo_mode {
            tracing::warn!(
                "DEMO MODE: simulated OpenRouter and demo sign-in; nothing here is real"
            );
        }
        let router = router(state.clone(), providers);
        Ok(Application {
            listener,
            router,
            address,
            state,
            demo_simulator: openrouter.demo_simulator,
        })
    }

    /// Demo mode's OpenRouter simulator (tests inspect and disturb it).
    pub fn demo_simulator(&self) -> Option<&Simulator> {
        self.demo_simulator
            .as_ref()
            .map(RunningSimulator::simulator)
    }

    /// The address actually bound (the real port when the configuration said 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        tracing::info!("listening on http://{}", self.address);
        background::spawn(self.state.clone());
        // Held until the server stops: dropping it would stop the demo simulator.
        let _demo_simulator = self.demo_simulator;
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("the HTTP server failed")
    }
}

/// The sign-in providers of the configured mode, the public URL and the global admins.
fn sign_in_providers(
    mode: &Mode,
    address: SocketAddr,
) -> anyhow::Result<(SignInProviders, String, Vec<String>)> {
    let Mode::Live(live) = mode else {
        return Ok((
            SignInProviders {
                demo: true,
                ..SignInProviders::default()
            },
            format!("http://{address}"),
            Vec::new(),
        ));
    };
    let public_url = if live.public_url.is_empty() {
        format!("http://{address}")
    } else {
        live.public_url.clone()
    };
    // Redirects off: a provider endpoint must never bounce our requests elsewhere.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .context("cannot build the HTTP client for sign-in")?;
    let google = live.google.as_ref().map(|client| {
        Arc::new(GoogleSignIn::new(
            &live.google_issuer_url,
            &client.client_id,
            client.client_secret.clone(),
            &public_url,
            http.clone(),
        ))
    });
    let github = live.github.as_ref().map(|client| {
        Arc::new(GitHubSignIn::new(
            &client.client_id,
            client.client_secret.clone(),
            &live.github_oauth_url,
            &live.github_api_url,
            &public_url,
            http.clone(),
        ))
    });
    Ok((
        SignInProviders {
            google,
            github,
            demo: false,
        },
        public_url,
        live.admin_emails.clone(),
    ))
}

pub fn router(state: AppState, providers: SignInProviders) -> Router {
    let options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let pkg_prefix: &'static str =
        Box::leak(format!("/{}/", options.site_pkg_dir).into_boxed_str());
    let hashed = options.hash_files;
    Router::new()
        .route("/healthz", get(health))
        .merge(auth::router(providers))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(middleware::from_fn(server_fn_status::correct_error_status))
        .layer(middleware::from_fn(move |request, next| {
            assets::cache_headers(pkg_prefix, hashed, request, next)
        }))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// This machine's name, to tell instances apart in the usage-sync lease.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "server".into())
}

/// Never print a database password.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://…{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_string(),
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            super::redact_url("postgres://u:pw@db:5432/x"),
            "postgres://…@db:5432/x"
        );
        assert_eq!(
            super::redact_url("sqlite://data/x.db"),
            "sqlite://data/x.db"
        );
    }
}
