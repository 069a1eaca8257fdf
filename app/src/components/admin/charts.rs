//! The admin page's charts, drawn as SVG by our own components (no chart library): claims
//! over the claim window, and how much of their budget the keys have spent. Each chart
//! says in words what it shows, for screen readers, and has a table of its numbers.

use leptos::prelude::*;

use super::counted;
use wire::model::{AdminCharts, TimeBucket};

const WIDTH: i64 = 600;
const HEIGHT: i64 = 160;

#[component]
pub fn Charts(charts: AdminCharts) -> impl IntoView {
    view! {
        <section class="admin-panel charts" aria-labelledby="charts-title">
            <h2 id="charts-title">"Activity"</h2>
            <div class="chart-grid">
                <ClaimsOverTime buckets=charts.claims_over_time.clone() />
                <SpendHistogram counts=charts.spend_histogram.clone() />
            </div>
            <h3>"Top spenders"</h3>
            {if charts.top_spenders.is_empty() {
                view! { <p class="muted">"No spend recorded yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="top-spenders">
                        {charts.top_spenders.iter().map(|spender| view! {
                            <li>
                                <span class="who">{spender.who.clone()}</span>
                                <meter min="0" max=spender.limit.micros().to_string()
                                    value=spender.spent.micros().min(spender.limit.micros()).to_string()
                                    aria-label=format!("{} spent {} of {}", spender.who, spender.spent, spender.limit)>
                                </meter>
                                <span>{format!("{} of {}", spender.spent, spender.limit)}</span>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

/// One bar per bucket, height by its claims.
#[component]
fn ClaimsOverTime(buckets: Vec<TimeBucket>) -> impl IntoView {
    let total: i64 = buckets.iter().map(|bucket| bucket.claims).sum();
    let most = buckets
        .iter()
        .map(|bucket| bucket.claims)
        .max()
        .unwrap_or(0)
        .max(1);
    let count = buckets.len().max(1) as i64;
    let slot = WIDTH / count;
    let summary = match (buckets.first(), buckets.last()) {
        (Some(first), Some(last)) => format!(
            "{} between {} and {}; at most {most} in one interval.",
            counted(total, "claim", "claims"),
            first.starts.in_workshop_zone,
            last.starts.in_workshop_zone
        ),
        _ => "No claims yet.".to_string(),
    };
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(index, bucket)| {
            let height = bucket.claims * (HEIGHT - 10) / most;
            view! {
                <rect class="chart-bar" x=(index as i64 * slot + 1).to_string() y=(HEIGHT - height).to_string()
                    width=(slot - 2).max(1).to_string() height=height.to_string()>
                    <title>{format!("{}: {} claims", bucket.starts.in_workshop_zone, bucket.claims)}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>"Claims over time"</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone() preserveAspectRatio="none">
                <line class="chart-axis" x1="0" y1=HEIGHT.to_string() x2=WIDTH.to_string() y2=HEIGHT.to_string() />
                {bars}
            </svg>
            <p class="chart-summary">{summary}</p>
        </figure>
    }
}

/// Keys by the share of their limit spent, in tenths.
#[component]
fn SpendHistogram(counts: Vec<i64>) -> impl IntoView {
    let most = counts.iter().copied().max().unwrap_or(0).max(1);
    let slot = WIDTH / counts.len().max(1) as i64;
    let keys: i64 = counts.iter().sum();
    let over_half: i64 = counts.iter().skip(5).sum();
    let summary = format!(
        "{}; {over_half} {} spent half of their budget or more.",
        counted(keys, "key", "keys"),
        if over_half == 1 { "has" } else { "have" }
    );
    let bars = counts
        .iter()
        .enumerate()
        .map(|(index, count)| {
            let height = count * (HEIGHT - 10) / most;
            let range = format!("{}–{}%", index * 10, index * 10 + 10);
            view! {
                <rect class="chart-bar chart-bar-spend" x=(index as i64 * slot + 2).to_string() y=(HEIGHT - height).to_string()
                    width=(slot - 4).max(1).to_string() height=height.to_string()>
                    <title>{format!("{range} spent: {count} keys")}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>"Budget spent per key (0–100%)"</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone() preserveAspectRatio="none">
                <line class="chart-axis" x1="0" y1=HEIGHT.to_string() x2=WIDTH.to_string() y2=HEIGHT.to_string() />
                {bars}
            </svg>
            <p class="chart-summary">{summary}</p>
        </figure>
    }
}
