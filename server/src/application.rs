//! Builds the whole application from a [`Config`] and serves it. Tests call
//! [`Application::build`] with port 0 and talk to the real server.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::http::{header, HeaderValue};
use axum::{middleware, routing::get, Router};
use leptos::nonce::use_nonce;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes, ResponseOptions};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;

use app::{shell, App};
use engine::clock::WorkshopClock;
use engine::mint::{MintSettings, Minter};
use engine::sealing::KeyRing;
use engine::usage_sync::UsageSyncer;
use engine::{db::Database, registry::Registry, session::SessionCookie, state::AppState};

use crate::auth::{self, GitHubSignIn, GoogleSignIn, SignInProviders};
use crate::config::Mode;
use crate::drain::{self, DrainSettings};
use crate::metrics::{self, RouteLabels};
use crate::middleware::cross_site::{origin_of, OwnOrigins};
use crate::middleware::precompressed::{self, PrecompressedFiles};
use crate::middleware::security_headers::SitePolicy;
use crate::middleware::{
    body_limit, cache, cross_site, error_status, page_redirect, security_headers,
};
use crate::openrouter_setup::DemoSimulator;
use crate::probes::{self, Draining};
use crate::site_state::SiteState;
use crate::{background, config::Config, exports, key_file, key_ring, openrouter_setup, telemetry};

pub struct Application {
    listener: TcpListener,
    router: Router,
    address: SocketAddr,
    state: AppState,
    demo_simulator: Option<DemoSimulator>,
    draining: Draining,
    drain: DrainSettings,
    /// `METRICS_ADDR`'s listener and the exporter, when metrics are on.
    metrics: Option<(TcpListener, PrometheusHandle)>,
    key_retention: Option<Duration>,
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
        let metrics = match config.metrics_addr {
            Some(addr) => Some((metrics::bind(addr).await?, metrics::exporter()?)),
            None => None,
        };
        let url = config.database_url.expose();
        let opened = if config.migrate_on_start {
            Database::connect(url).await
        } else {
            Database::connect_without_migrating(url).await
        };
        let database =
            opened.with_context(|| format!("cannot open the database ({})", redact_url(url)))?;
        let key_ring = key_ring::ring_for(config.key_ring.as_ref(), config.is_demo(), url)?;
        let database = database.with_keys(key_ring);
        if !config.migrate_on_start {
            let pending = database
                .pending_migrations()
                .await
                .context("cannot read the database's migrations")?;
            if pending > 0 {
                anyhow::bail!(
                    "the database lacks {pending} migration(s) of this build and \
                     MIGRATE_ON_START=false: run `server migrate` first"
                );
            }
        }
        key_ring::prepare(&database).await?;
        // From now on this instance's workshop files are the newest running versions.
        let now = chrono::Utc::now().timestamp();
        for workshop in registry.all() {
            database
                .register_workshop_version(&workshop.slug, &workshop.file_digest, now)
                .await
                .context("cannot record the workshop files' versions")?;
        }
        let SignInSetup {
            providers,
            public_url,
            admin_emails,
            form_targets,
        } = sign_in_providers(&config.mode, address)?;
        let sign_in_keys = sign_in_cookie_keys(&database).await?;
        let openrouter = openrouter_setup::connect(&config).await?;
        let demo_spending = openrouter.demo_spending();
        let mut mint_settings = MintSettings::default();
        mint_settings.pool.lead = config.key_pool_lead;
        mint_settings.instance = instance_name();
        let minter = Minter::new(database.clone(), openrouter.client.clone(), mint_settings);
        let usage_sync = UsageSyncer::new(
            database.clone(),
            openrouter.client,
            minter.leases().holder().to_string(),
            config.usage_sync_interval,
        );
        let state = AppState {
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
            public_url: public_url.clone(),
            clock: WorkshopClock::default(),
            usage_refreshes: Arc::default(),
            sign_in_keys,
            demo_spending,
        };
        if state.registry.is_empty() {
            tracing::info!(
                folder = %config.workshops_dir.display(),
                "no workshop files: no workshop is served and OpenRouter is not called until \
                 one is added (start from workshops/example.yaml.template)"
            );
        }
        if state.demo_mode {
            tracing::warn!(
                "DEMO MODE: simulated OpenRouter and demo sign-in; nothing here is real"
            );
        }
        let security = SiteSecurity {
            own_origins: OwnOrigins::new(&public_url, address),
            policy: SitePolicy {
                https: public_url.starts_with("https://"),
                form_targets,
                live_reload: std::env::var_os("LEPTOS_WATCH").is_some(),
            },
        };
        let draining = Draining::default();
        let router = router(
            state.clone(),
            config.leptos_options.clone(),
            providers,
            security,
            draining.clone(),
        );
        Ok(Application {
            listener,
            router,
            address,
            state,
            demo_simulator: openrouter.demo_simulator,
            draining,
            drain: config.drain,
            metrics,
            key_retention: config.key_retention,
        })
    }

    /// Demo mode's OpenRouter simulator (tests inspect and disturb it).
    #[cfg(feature = "demo")]
    pub fn demo_simulator(&self) -> Option<&openrouter_sim::Simulator> {
        self.demo_simulator
            .as_ref()
            .map(openrouter_sim::RunningSimulator::simulator)
    }

    /// Demo mode's simulator's OpenRouter base URL (`http://127.0.0.1:<port>/api/v1`).
    #[cfg(feature = "demo")]
    pub fn demo_simulator_url(&self) -> Option<String> {
        self.demo_simulator
            .as_ref()
            .map(|running| running.base_url().to_string())
    }

    /// The address actually bound (the real port when the configuration said 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The metrics listener's address, when `METRICS_ADDR` is set.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics
            .as_ref()
            .and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Serves until Ctrl-C or SIGTERM, then drains (see `drain`).
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then drains: readiness 503, the grace period,
    /// the listener closed, requests and detached work finished within the timeout,
    /// background loops stopped, leases handed back, the database closed. Tests pass a
    /// future of their own: a process running many test servers must not tie them to
    /// its signal handlers.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!("listening on http://{}", self.address);
        let background = background::spawn(self.state.clone(), self.key_retention);
        if let Some((listener, handle)) = self.metrics {
            tracing::info!(address = ?listener.local_addr().ok(), "metrics on /metrics");
            metrics::serve(listener, handle, self.state.clone());
        }
        // Held until the server stops: dropping it would stop the demo simulator.
        let _demo_simulator = self.demo_simulator;
        let close_listener = CancellationToken::new();
        let serving = tokio::spawn(
            axum::serve(self.listener, self.router)
                .with_graceful_shutdown(close_listener.clone().cancelled_owned())
                .into_future(),
        );
        let mut serving = std::pin::pin!(serving);
        tokio::select! {
            ended = &mut serving => {
                // The server stopped by itself: an error (a closed listener, say).
                return ended.context("the HTTP server task failed")?.context("the HTTP server failed");
            }
            _ = shutdown => {}
        }
        drain::announce(&self.draining, self.drain).await;
        close_listener.cancel();
        let deadline = Instant::now() + self.drain.timeout;
        match tokio::time::timeout_at(deadline.into(), &mut serving).await {
            Ok(ended) => ended
                .context("the HTTP server task failed")?
                .context("the HTTP server failed")?,
            Err(_) => tracing::warn!("draining: requests still in flight at the timeout"),
        }
        drain::finish(&self.state, background, deadline).await;
        Ok(())
    }
}

/// The key that seals the cookie carrying a sign-in in progress: made by the first
/// instance to start, then shared by all through the database.
async fn sign_in_cookie_keys(database: &Database) -> anyhow::Result<KeyRing> {
    let fresh = KeyRing::generate_entry("signin1");
    let stored = database
        .shared_secret("sign-in-cookie-key", &fresh, chrono::Utc::now().timestamp())
        .await
        .context("cannot read or store the sign-in cookie key")?;
    KeyRing::parse(&stored).context("the stored sign-in cookie key is malformed")
}

/// What sign-in needs from the configuration.
struct SignInSetup {
    providers: SignInProviders,
    /// `PUBLIC_URL`, or the bound address when it is not set (demo mode, tests).
    public_url: String,
    admin_emails: Vec<String>,
    /// The providers' origins, where sign-in forms redirect to.
    form_targets: Vec<String>,
}

/// The sign-in providers of the configured mode, the public URL and the global admins.
fn sign_in_providers(mode: &Mode, address: SocketAddr) -> anyhow::Result<SignInSetup> {
    let live = match mode {
        Mode::Live(live) => live,
        Mode::Demo { public_url } => {
            return Ok(SignInSetup {
                providers: SignInProviders {
                    demo: true,
                    ..SignInProviders::default()
                },
                public_url: public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{address}")),
                admin_emails: Vec::new(),
                form_targets: Vec::new(),
            })
        }
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
    let mut form_targets = Vec::new();
    if google.is_some() {
        form_targets.extend(origin_of(&live.google_issuer_url));
    }
    if github.is_some() {
        form_targets.extend(origin_of(&live.github_oauth_url));
    }
    Ok(SignInSetup {
        providers: SignInProviders {
            google,
            github,
            demo: false,
        },
        public_url,
        admin_emails: live.admin_emails.clone(),
        form_targets,
    })
}

/// Who the site is, for the layers that protect it.
pub struct SiteSecurity {
    pub own_origins: OwnOrigins,
    pub policy: SitePolicy,
}

pub fn router(
    state: AppState,
    options: LeptosOptions,
    providers: SignInProviders,
    security: SiteSecurity,
    draining: Draining,
) -> Router {
    let routes = generate_route_list(App);
    let SiteSecurity {
        own_origins,
        policy,
    } = security;
    let https = policy.https;
    // Runs for every page render and server function call: the state, and for a page,
    // its Content-Security-Policy with the nonce Leptos put on its inline scripts.
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) {
                if let Ok(value) = HeaderValue::from_str(&policy.for_page(&nonce.to_string())) {
                    response.insert_header(header::CONTENT_SECURITY_POLICY, value);
                }
            }
        }
    };
    let pkg_prefix: &'static str =
        Box::leak(format!("/{}/", options.site_pkg_dir).into_boxed_str());
    let hashed = options.hash_files;
    let precompressed = if hashed {
        let folder =
            std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
        PrecompressedFiles::load(&folder, pkg_prefix)
    } else {
        PrecompressedFiles::default()
    };
    let demo_mode = state.demo_mode;
    let site = SiteState {
        leptos_options: options.clone(),
        app: state.clone(),
    };
    let route_labels = RouteLabels::new(
        leptos::server_fn::axum::server_fn_paths().map(|(path, _method)| path.to_string()),
    );
    let app = Router::new()
        .merge(probes::router(draining))
        .route("/w/{slug}/key.env", get(key_file::download))
        .route("/admin/{slug}/claims.csv", get(exports::claims_csv))
        .route("/admin/{slug}/opt-ins.csv", get(exports::opt_ins_csv))
        .merge(auth::router(providers))
        .merge(demo_routes(demo_mode))
        .leptos_routes_with_context(&site, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            SiteState,
            _,
        >(context, shell))
        .with_state(site);
    // The layers wrap the whole router once, outermost first. `Router::layer` would wrap
    // every route on its own, and axum clones a route's boxed service for each request —
    // with a dozen layers, a dozen nested boxes per request (about 16 MB at the peak of a
    // burst of 200 claims; docs/benchmarks.md, Memory).
    let layered = ServiceBuilder::new()
        .layer(middleware::from_fn(telemetry::assign_request_id))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span)
                .on_failure(telemetry::log_server_error),
        )
        .layer(middleware::from_fn(move |request, next| {
            metrics::count_requests(route_labels.clone(), request, next)
        }))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(move |request, next| {
            security_headers::security_headers(https, request, next)
        }))
        .layer(middleware::from_fn(move |request, next| {
            cache::cache_headers(pkg_prefix, hashed, request, next)
        }))
        // Inside the cache and security layers, so its answers get their headers too;
        // the compression layer leaves what is already encoded alone.
        .layer(middleware::from_fn(move |request, next| {
            precompressed::serve_precompressed(precompressed.clone(), request, next)
        }))
        .layer(middleware::from_fn(move |request, next| {
            cross_site::refuse_cross_site(own_origins.clone(), request, next)
        }))
        .layer(middleware::from_fn(body_limit::limit_request_bodies))
        .layer(middleware::from_fn(error_status::correct_error_status))
        .layer(middleware::from_fn(page_redirect::redirect_pages_with_303))
        .service(app);
    Router::new().fallback_service(layered)
}

/// Demo mode's own routes (the demo clock); none in a live deployment, and none in a
/// binary built without the `demo` feature.
#[cfg(feature = "demo")]
fn demo_routes(demo_mode: bool) -> Router<SiteState> {
    if demo_mode {
        crate::demo_clock::router()
    } else {
        Router::new()
    }
}

#[cfg(not(feature = "demo"))]
fn demo_routes(_demo_mode: bool) -> Router<SiteState> {
    Router::new()
}

/// This instance's name in every lease it takes: the machine, the process and a random
/// part (a restarted container may get the same pid).
fn instance_name() -> String {
    let random: String = (0..3)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    format!("{}:{}:{random}", hostname(), std::process::id())
}

/// This machine's name.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "server".into())
}

/// Never print a database password: neither `user:password@` nor a `password=` (or
/// `sslpassword=`) in the query string.
pub fn redact_url(url: &str) -> String {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url, None),
    };
    let address = match (address.find("://"), address.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://…{}", &address[..scheme_end], &address[at..])
        }
        _ => address.to_string(),
    };
    let Some(query) = query else {
        return address;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if name.to_ascii_lowercase().contains("password") => {
                format!("{name}=…")
            }
            _ => pair.to_string(),
        })
        .collect();
    format!("{address}?{}", query.join("&"))
}

/// Completes at Ctrl-C or SIGTERM. A handler that cannot be installed waits forever
/// instead of completing: failing to listen for a signal is no reason to stop serving.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
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
            super::redact_url("sqlite://data/x.db?mode=rwc"),
            "sqlite://data/x.db?mode=rwc"
        );
        assert_eq!(
            super::redact_url("postgres://db/x?user=u&password=hunter2&sslmode=require"),
            "postgres://db/x?user=u&password=…&sslmode=require"
        );
        assert_eq!(
            super::redact_url("postgres://u:pw@db/x?sslpassword=s3cret"),
            "postgres://…@db/x?sslpassword=…"
        );
    }
}
