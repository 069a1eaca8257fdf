//! The organiser's side under load: `N` claims seeded into one workshop (a burst of real
//! claims, not rows written behind the server's back), then each admin query timed a
//! number of times as the organiser's browser makes it: a table page with every
//! search, filter and sort the page offers, the figures and charts, the change mark the
//! live page polls, and the whole claims CSV. Times are round trips on loopback, so
//! they bound the server's own time from above.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::attendees;
use crate::claims::{self, ClaimResult, ClaimTarget};

/// The workshop the rows are seeded into.
pub const SLUG: &str = "bench-admin";
/// Listed under `admins:` of every benchmark workshop.
pub const ORGANISER: &str = "organiser@bench.example";
/// Timed repetitions of each query.
const REPEATS: usize = 20;

pub struct AdminReport {
    rows: usize,
    seed_wall: Duration,
    timings: Vec<(String, Vec<Duration>)>,
}

pub async fn run(base_url: &str, rows: usize) -> Result<AdminReport> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot build the HTTP client")?;
    let attendees = attendees::sign_in_all(&http, base_url, "admin", rows).await?;
    let target = Arc::new(ClaimTarget::Server {
        http: http.clone(),
        url: format!("{base_url}/api/claim_key"),
        slug: SLUG.to_string(),
    });
    let seeded = claims::fire_burst(target, &attendees).await?;
    let failed = seeded
        .outcomes
        .iter()
        .filter(|outcome| matches!(outcome.result, ClaimResult::Failed { .. }))
        .count();
    if failed > 0 {
        bail!("{failed} of the {rows} seeded claims failed");
    }
    let cookie = sign_in_organiser(&http, base_url).await?;

    let last_page = rows.div_ceil(50).to_string();
    let queries: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("table, first page (newest first)", vec![]),
        ("table, last page", vec![("page", last_page.as_str())]),
        ("table, search \"admin-01\"", vec![("search", "admin-01")]),
        ("table, status bound", vec![("status", "bound")]),
        ("table, status unbound (none)", vec![("status", "unbound")]),
        ("table, most spent first", vec![("sort", "most-spent")]),
        (
            "table, oldest first, page 2",
            vec![("sort", "oldest"), ("page", "2")],
        ),
    ];
    let mut timings = Vec::new();
    for (label, form) in &queries {
        let mut full = vec![("slug", SLUG)];
        full.extend_from_slice(form);
        let times = time(REPEATS, || {
            call(&http, base_url, &cookie, "list_claims", &full)
        })
        .await?;
        timings.push((label.to_string(), times));
    }
    for (label, name) in [
        ("figures and charts", "get_admin_workshop"),
        ("change mark (polled every 3 s)", "get_change_mark"),
    ] {
        let form = [("slug", SLUG)];
        let times = time(REPEATS, || call(&http, base_url, &cookie, name, &form)).await?;
        timings.push((label.to_string(), times));
    }
    let csv_url = format!("{base_url}/admin/{SLUG}/claims.csv");
    let times = time(5, || async {
        let response = http
            .get(&csv_url)
            .header("cookie", &cookie)
            .send()
            .await
            .context("the CSV export failed")?;
        if !response.status().is_success() {
            bail!("the CSV export answered {}", response.status());
        }
        let body = response.text().await?;
        if body.lines().count() != rows + 1 {
            bail!(
                "the CSV export has {} lines for {rows} claims",
                body.lines().count()
            );
        }
        Ok(())
    })
    .await?;
    timings.push((format!("claims CSV ({rows} rows, streamed)"), times));
    Ok(AdminReport {
        rows,
        seed_wall: seeded.wall,
        timings,
    })
}

pub async fn sign_in_organiser(http: &reqwest::Client, base_url: &str) -> Result<String> {
    let response = http
        .post(format!("{base_url}/auth/demo"))
        .form(&[("name", "Organiser"), ("email", ORGANISER), ("next", "/")])
        .send()
        .await?;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    if cookie.is_empty() {
        bail!("the organiser's sign-in set no cookie");
    }
    Ok(cookie)
}

async fn call(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    name: &str,
    form: &[(&str, &str)],
) -> Result<()> {
    post_server_function(http, base_url, cookie, name, form)
        .await
        .map(|_| ())
}

/// A server function's JSON answer.
pub async fn call_json(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    name: &str,
    form: &[(&str, &str)],
) -> Result<serde_json::Value> {
    let body = post_server_function(http, base_url, cookie, name, form).await?;
    serde_json::from_str(&body).with_context(|| format!("{name} answered something else than JSON"))
}

/// Posts `form` to server function `name` as the signed-in `cookie`; the body of a 2xx.
async fn post_server_function(
    http: &reqwest::Client,
    base_url: &str,
    cookie: &str,
    name: &str,
    form: &[(&str, &str)],
) -> Result<String> {
    let response = http
        .post(format!("{base_url}/api/{name}"))
        .header("cookie", cookie)
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .with_context(|| format!("{name} failed"))?;
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        bail!("{name} answered {status}: {body}");
    }
    Ok(body)
}

async fn time<F, Fut>(repeats: usize, mut once: F) -> Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let started = Instant::now();
        once().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

impl AdminReport {
    pub fn print(&self) {
        println!(
            "admin queries over {} claims (seeded in {:.1} s), round trips on loopback:",
            self.rows,
            self.seed_wall.as_secs_f64()
        );
        println!("  {:<44} {:>9} {:>9}", "query", "median", "slowest");
        for (label, times) in &self.timings {
            let median = times[times.len() / 2];
            let slowest = times[times.len() - 1];
            println!(
                "  {label:<44} {:>6.1} ms {:>6.1} ms",
                median.as_secs_f64() * 1000.0,
                slowest.as_secs_f64() * 1000.0
            );
        }
        println!();
    }
}
