//! Prometheus metrics, served on a listener of their own (`METRICS_ADDR`, off when
//! unset): never on the public port, so attendees cannot read the room's figures and a
//! scraper needs no route through the TLS proxy. The series and their names are in
//! `engine::metrics`; here are the exporter, the `/metrics` endpoint, the HTTP
//! layer that counts every request by route template, and the gauges read from the
//! database and the OpenRouter client at each scrape.

use std::collections::{BTreeSet, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use anyhow::Context;
use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

use engine::metrics as series;
use engine::state::AppState;

/// Seconds: from a pool claim (milliseconds) to an OpenRouter timeout (5 s) and beyond.
const DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's exporter: installed once, shared by every server in the process (tests
/// start several).
pub fn exporter() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &DURATION_BUCKETS)
        .context("cannot configure the metrics buckets")?
        .build_recorder();
    let handle = recorder.handle();
    // Another server in this process may have won the race: use its recorder.
    if metrics::set_global_recorder(recorder).is_err() {
        return HANDLE
            .get()
            .cloned()
            .context("a metrics recorder of another kind is installed");
    }
    Ok(HANDLE.get_or_init(|| handle).clone())
}

/// What `/metrics` needs at each scrape.
#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    state: AppState,
    /// Lease names this instance has held, so one another instance took over reads 0,
    /// not absent.
    leases_seen: Arc<Mutex<BTreeSet<String>>>,
}

/// Serves `GET /metrics` on `listener` until the process ends.
pub fn serve(listener: TcpListener, handle: PrometheusHandle, state: AppState) {
    let scrape = Scrape {
        handle,
        state,
        leases_seen: Arc::default(),
    };
    let router = Router::new()
        .route("/metrics", get(render))
        .with_state(scrape);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener failed");
        }
    });
}

/// Binds `addr` for the metrics listener.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for metrics on {addr} (METRICS_ADDR)"))
}

async fn render(State(scrape): State<Scrape>) -> Response {
    refresh_gauges(&scrape).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        scrape.handle.render(),
    )
        .into_response()
}

/// The gauges are read when asked for, not kept up to date by the code that changes
/// them: a few indexed queries per workshop and scrape.
async fn refresh_gauges(scrape: &Scrape) {
    let state = &scrape.state;
    let breaker_open = state.minter.client().unavailable_for().is_some();
    metrics::gauge!(series::BREAKER_OPEN).set(f64::from(u8::from(breaker_open)));
    let now = state.clock.now();
    for workshop in state.registry.all() {
        let slug = workshop.slug.clone();
        match state.minter.pool().status(&workshop, now).await {
            Ok(pool) => {
                metrics::gauge!(series::POOL_READY, "workshop" => slug.clone())
                    .set(pool.ready as f64);
                metrics::gauge!(series::POOL_TARGET, "workshop" => slug.clone())
                    .set(pool.target as f64);
            }
            Err(error) => tracing::warn!(%error, %slug, "metrics: cannot read the pool"),
        }
        match state
            .database
            .figure_counts(&slug, chrono::Utc::now().timestamp())
            .await
        {
            Ok(counts) => {
                metrics::gauge!(series::UNBOUND_KEYS, "workshop" => slug.clone())
                    .set(counts.unbound as f64);
                if let Some(synced) = counts.last_sync {
                    metrics::gauge!(series::USAGE_SYNCED_AT, "workshop" => slug.clone())
                        .set(synced as f64);
                }
            }
            Err(error) => tracing::warn!(%error, %slug, "metrics: cannot read the figures"),
        }
    }
    let leases = state
        .database
        .background_leases_of(state.instance(), chrono::Utc::now().timestamp())
        .await;
    match leases {
        Ok(leases) => {
            let mut seen = scrape
                .leases_seen
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            seen.extend(leases.iter().map(|(name, _)| name.clone()));
            let held: HashSet<&String> = leases
                .iter()
                .filter(|(_, held)| *held)
                .map(|(name, _)| name)
                .collect();
            for name in seen.iter() {
                metrics::gauge!(series::LEASE_HELD, "name" => name.clone())
                    .set(f64::from(u8::from(held.contains(name))));
            }
        }
        Err(error) => tracing::warn!(%error, "metrics: cannot read the leases"),
    }
}

/// Counts and times every request by its route template and status.
pub async fn count_requests(routes: RouteLabels, request: Request, next: Next) -> Response {
    let route = routes.label(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(series::HTTP_REQUESTS, "route" => route, "status" => status).increment(1);
    metrics::histogram!(series::HTTP_DURATION, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Turns a request path into the route it matched, from a fixed set: the label never
/// carries a slug or a file name, so a scan of random URLs cannot blow up the series.
#[derive(Clone, Default)]
pub struct RouteLabels {
    /// `/api/claim_key` and the other server functions this build has.
    server_functions: Arc<HashSet<String>>,
}

impl RouteLabels {
    pub fn new(server_functions: impl IntoIterator<Item = String>) -> Self {
        RouteLabels {
            server_functions: Arc::new(server_functions.into_iter().collect()),
        }
    }

    pub fn label(&self, path: &str) -> &'static str {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        match segments.as_slice() {
            [] | [""] => "/",
            ["w", _] => "/w/{slug}",
            ["w", _, "qr"] => "/w/{slug}/qr",
            ["w", _, "key.env"] => "/w/{slug}/key.env",
            ["admin"] => "/admin",
            ["admin", _] => "/admin/{slug}",
            ["admin", _, "claims.csv"] => "/admin/{slug}/claims.csv",
            ["admin", _, "opt-ins.csv"] => "/admin/{slug}/opt-ins.csv",
            ["signin"] => "/signin",
            ["auth", "google", "start"] => "/auth/google/start",
            ["auth", "google", "callback"] => "/auth/google/callback",
            ["auth", "github", "start"] => "/auth/github/start",
            ["auth", "github", "callback"] => "/auth/github/callback",
            ["auth", "demo"] => "/auth/demo",
            ["auth", "signout"] => "/auth/signout",
            ["livez"] => "/livez",
            ["readyz"] => "/readyz",
            ["healthz"] => "/healthz",
            ["pkg", ..] => "/pkg/{file}",
            ["favicon.svg"] | ["favicon.ico"] => "/favicon",
            ["api", _] if self.server_functions.contains(path) => server_function_label(path),
            ["api", ..] => "/api/{unknown}",
            _ => "{other}",
        }
    }
}

/// A server function's path as a `'static` label: the set is fixed at start-up, so each
/// is leaked once.
fn server_function_label(path: &str) -> &'static str {
    static LABELS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut labels = LABELS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(label) = labels.get(path) {
        return label;
    }
    let label: &'static str = Box::leak(path.to_string().into_boxed_str());
    labels.insert(label);
    label
}

#[cfg(test)]
mod tests {
    use super::RouteLabels;

    #[test]
    fn routes_are_labelled_by_template_and_unknown_paths_fold_into_one() {
        let labels = RouteLabels::new(["/api/claim_key".to_string()]);
        for (path, label) in [
            ("/", "/"),
            ("/w/agents", "/w/{slug}"),
            ("/w/agents/", "/w/{slug}"),
            ("/w/agents/qr", "/w/{slug}/qr"),
            ("/admin/agents/claims.csv", "/admin/{slug}/claims.csv"),
            ("/pkg/app.abc.wasm", "/pkg/{file}"),
            ("/api/claim_key", "/api/claim_key"),
            ("/api/no_such_function", "/api/{unknown}"),
            ("/wp-login.php", "{other}"),
            ("/w/a/b/c/d", "{other}"),
        ] {
            assert_eq!(labels.label(path), label, "{path}");
        }
    }
}
