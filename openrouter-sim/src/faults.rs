//! Fault injection and call counting: the middleware every OpenRouter route passes
//! through, and the rules it follows. A rule names a route (`POST /keys`), what to do
//! (429, 5xx, hang, lose the response) and for how many calls. Faults never touch the
//! state themselves: they either answer before the handler runs (nothing applied) or let
//! it run and then withhold its answer (applied, but the client cannot know).

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::serve::ConnectionKill;
use super::{lock, Simulator, API_PREFIX, ROUTES};

/// How long a hung call waits before it answers 504: far past any sane client timeout,
/// so the client always gives up first.
pub(crate) const HANG: Duration = Duration::from_secs(60);

/// Which calls to disturb and how. Serialised as
/// `{"route": "POST /keys", "action": {"kind": "rate_limited", "retry_after_secs": 2}, "times": 3}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// `METHOD /path/template` relative to `/api/v1`: one of [`ROUTES`].
    pub route: String,
    pub action: FaultAction,
    /// How many matching calls the rule answers before it is spent; `None` for every
    /// call until [`Simulator::clear_faults`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// 429 with `Retry-After: <retry_after_secs>`; nothing is applied.
    RateLimited { retry_after_secs: u32 },
    /// A 5xx answer (500, 502, 503, …) in the error shape; nothing is applied.
    ServerError { status: u16 },
    /// No answer for a minute (then 504); nothing is applied. Clients see a timeout.
    Hang,
    /// The call is applied, then the connection is closed without a response: the
    /// client sees a connection error although the key (say) now exists.
    ResponseLost,
    /// The call is applied and answered with its success status, but the body is cut
    /// off mid-JSON: the client cannot read what it made although it exists.
    GarbledSuccess,
}

/// OpenRouter down as a whole: every call (every route) fails the same way until the
/// outage ends. Serialised as `{"kind": "hang"}` or `{"kind": "unavailable"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutageKind {
    /// Every call hangs (then 504 after a minute): clients time out.
    Hang,
    /// Every call is answered 503 at once.
    Unavailable,
}

/// Why [`Simulator::inject`] refused a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFault {
    #[error("unknown route {0:?}; routes look like \"POST /keys\", see ROUTES")]
    UnknownRoute(String),
    #[error("status {0} is not a server error (500-599)")]
    NotAServerError(u16),
    #[error("a rule for the next 0 calls would never fire")]
    ZeroTimes,
}

impl FaultRule {
    /// Disturbs the next `times` calls to `route`.
    pub fn next(route: impl Into<String>, times: u32, action: FaultAction) -> Self {
        FaultRule {
            route: route.into(),
            action,
            times: Some(times),
        }
    }

    /// Disturbs every call to `route` until the faults are cleared.
    pub fn every(route: impl Into<String>, action: FaultAction) -> Self {
        FaultRule {
            route: route.into(),
            action,
            times: None,
        }
    }

    pub(crate) fn validated(self) -> Result<Self, InvalidFault> {
        if !ROUTES.contains(&self.route.as_str()) {
            return Err(InvalidFault::UnknownRoute(self.route));
        }
        if let FaultAction::ServerError { status } = self.action {
            if !(500..=599).contains(&status) {
                return Err(InvalidFault::NotAServerError(status));
            }
        }
        if self.times == Some(0) {
            return Err(InvalidFault::ZeroTimes);
        }
        Ok(self)
    }
}

/// The rules in force, the latency added to every call, and an outage if one is on.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    pub latency: Duration,
    pub rules: Vec<FaultRule>,
    /// Until when (if ever) every call fails, and how.
    pub outage: Option<(OutageKind, Instant)>,
}

impl FaultBook {
    /// The action of the first rule for `route`, spending one of its calls. An outage in
    /// force comes before every rule.
    fn take(&mut self, route: &str) -> Option<FaultAction> {
        if let Some((kind, until)) = self.outage {
            if Instant::now() < until {
                return Some(match kind {
                    OutageKind::Hang => FaultAction::Hang,
                    OutageKind::Unavailable => FaultAction::ServerError { status: 503 },
                });
            }
            self.outage = None;
        }
        let index = self.rules.iter().position(|rule| rule.route == route)?;
        let rule = &mut self.rules[index];
        let action = rule.action;
        if let Some(times) = &mut rule.times {
            *times = times.saturating_sub(1);
            if *times == 0 {
                self.rules.remove(index);
            }
        }
        Some(action)
    }
}

/// Counts the call, waits the added latency, then applies the route's fault, if any.
pub(crate) async fn intercept(
    State(simulator): State<Simulator>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|matched| route_of(request.method(), matched.as_str()));
    let Some(route) = route else {
        // A method the path does not take: the 405 fallback answers, uncounted.
        return next.run(request).await;
    };
    simulator.record_call(route);
    let (latency, fault) = {
        let mut book = lock(&simulator.inner.faults);
        (book.latency, book.take(route))
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        None => next.run(request).await,
        Some(FaultAction::RateLimited { retry_after_secs }) => {
            let mut response = injected(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Some(FaultAction::ServerError { status }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            injected(status, "Injected server error")
        }
        Some(FaultAction::Hang) => hang().await,
        Some(FaultAction::ResponseLost) => {
            let kill = request.extensions().get::<ConnectionKill>().cloned();
            // The mutation happens here; its response is thrown away.
            let _applied = next.run(request).await;
            match kill {
                Some(kill) => {
                    kill.kill();
                    // The connection task drops this future with the connection.
                    std::future::pending().await
                }
                // Served by someone else's loop, the connection cannot be dropped from
                // here; a hang loses the response just as well.
                None => hang().await,
            }
        }
        Some(FaultAction::GarbledSuccess) => {
            let applied = next.run(request).await;
            let status = applied.status();
            // Drop the real body (the plaintext of a created key, say) unread.
            drop(applied);
            Response::builder()
                .status(status)
                .header(axum::http::header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from("{\"data\": {\"hash\": \"cut off"))
                .unwrap_or_default()
        }
    }
}

async fn hang() -> Response {
    tokio::time::sleep(HANG).await;
    injected(StatusCode::GATEWAY_TIMEOUT, "Injected hang")
}

fn injected(status: StatusCode, message: &str) -> Response {
    ApiError::Injected {
        status,
        message: message.to_owned(),
    }
    .into_response()
}

/// `GET` + `/api/v1/keys/{hash}` → `"GET /keys/{hash}"`, one of [`ROUTES`].
fn route_of(method: &Method, template: &str) -> Option<&'static str> {
    let path = template.strip_prefix(API_PREFIX)?;
    ROUTES
        .iter()
        .copied()
        .find(|route| route.split_once(' ') == Some((method.as_str(), path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_rules_are_spent_and_every_rules_stay() {
        let mut book = FaultBook::default();
        book.rules
            .push(FaultRule::next("POST /keys", 2, FaultAction::Hang));
        book.rules.push(FaultRule::every(
            "POST /keys",
            FaultAction::ServerError { status: 503 },
        ));
        assert_eq!(book.take("POST /keys"), Some(FaultAction::Hang));
        assert_eq!(book.take("GET /keys"), None);
        assert_eq!(book.take("POST /keys"), Some(FaultAction::Hang));
        for _ in 0..3 {
            assert_eq!(
                book.take("POST /keys"),
                Some(FaultAction::ServerError { status: 503 })
            );
        }
        assert_eq!(book.rules.len(), 1);
    }

    #[test]
    fn rules_are_checked_before_they_are_kept() {
        let unknown = FaultRule::every("POST /key", FaultAction::Hang).validated();
        assert_eq!(unknown, Err(InvalidFault::UnknownRoute("POST /key".into())));
        let not_5xx =
            FaultRule::every("GET /keys", FaultAction::ServerError { status: 404 }).validated();
        assert_eq!(not_5xx, Err(InvalidFault::NotAServerError(404)));
        let zero = FaultRule::next("GET /keys", 0, FaultAction::Hang).validated();
        assert_eq!(zero, Err(InvalidFault::ZeroTimes));
    }

    #[test]
    fn routes_come_from_matched_templates() {
        assert_eq!(
            route_of(&Method::POST, "/api/v1/guardrails/{id}/assignments/keys"),
            Some("POST /guardrails/{id}/assignments/keys")
        );
        assert_eq!(route_of(&Method::PUT, "/api/v1/keys"), None);
    }

    #[test]
    fn rules_read_from_json() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"route": "POST /keys", "action": {"kind": "rate_limited", "retry_after_secs": 2}, "times": 3}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule::next(
                "POST /keys",
                3,
                FaultAction::RateLimited {
                    retry_after_secs: 2
                }
            )
        );
    }
}
