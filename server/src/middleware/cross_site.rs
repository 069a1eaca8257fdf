//! Refuses state-changing requests that another website's page made the browser send
//! (cross-site request forgery). `SameSite=Lax` cookies already stop most; this is the
//! second, explicit wall.
//!
//! A POST (or PUT, PATCH, DELETE) is accepted when the browser says it comes from one of
//! our pages:
//!
//! 1. `Sec-Fetch-Site: same-origin` (fetch metadata, set by the browser itself and not
//!    forgeable by a page). Any other value — `cross-site`, `same-site`, `none` — is
//!    refused. (Under `Referrer-Policy: no-referrer` browsers send our own form posts
//!    with `Origin: null` and no `Referer`; fetch metadata still vouches for them.)
//! 2. Without fetch metadata (older browsers), an `Origin` — or, without one, the origin
//!    of the `Referer` — that is this site's own: `PUBLIC_URL`, or in demo mode the listen
//!    address (with `localhost` and `127.0.0.1` as the same loopback site). `Origin: null`
//!    is refused.
//! 3. A request with none of these headers is not from a browser page (every browser
//!    sends `Origin` on a POST), so it cannot be a forgery and is let through:
//!    command-line clients, the benchmark.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::{
    extract::Request,
    http::{header, HeaderValue, Method},
    middleware::Next,
    response::Response,
};

use super::error_status::error_response;
use wire::error::AppError;

/// The origins (`scheme://host[:port]`, lowercase) this site answers as.
#[derive(Debug, Clone)]
pub struct OwnOrigins(Arc<Vec<String>>);

impl OwnOrigins {
    /// `public_url` when set; otherwise the bound address. A loopback site (demo mode,
    /// tests, a developer's machine) answers as `localhost` and `127.0.0.1` alike.
    pub fn new(public_url: &str, address: SocketAddr) -> Self {
        let mut origins: Vec<String> = origin_of(public_url).into_iter().collect();
        let local = |origin: &String| {
            origin.starts_with("http://127.0.0.1:") || origin.starts_with("http://localhost:")
        };
        let loopback_site = origins.is_empty() || origins.iter().any(local);
        if loopback_site && address.ip().is_loopback() {
            let port = address.port();
            origins.push(format!("http://127.0.0.1:{port}"));
            origins.push(format!("http://localhost:{port}"));
            origins.push(format!("http://[::1]:{port}"));
        } else if origins.is_empty() {
            origins.push(format!("http://{address}"));
        }
        origins.sort();
        origins.dedup();
        OwnOrigins(Arc::new(origins))
    }

    pub fn contains(&self, origin: &str) -> bool {
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        self.0.contains(&origin)
    }
}

/// `scheme://host[:port]` of a URL, lowercase, without a default port; `None` for
/// anything that is not an absolute http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host.to_string(),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

pub async fn refuse_cross_site(own: OwnOrigins, request: Request, next: Next) -> Response {
    if !is_state_changing(request.method()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    let fetch_site = headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok());
    let same_site = match (
        fetch_site,
        header_text(header::ORIGIN),
        header_text(header::REFERER),
    ) {
        (Some(site), _, _) => site.eq_ignore_ascii_case("same-origin"),
        (None, Some(origin), _) => own.contains(origin),
        (None, None, Some(referer)) => {
            origin_of(referer).is_some_and(|origin| own.contains(&origin))
        }
        (None, None, None) => true,
    };
    if same_site {
        return next.run(request).await;
    }
    tracing::warn!(
        origin = header_text(header::ORIGIN).unwrap_or("-"),
        sec_fetch_site = fetch_site.unwrap_or("-"),
        "refused a cross-site request"
    );
    error_response(
        AppError::CrossSite,
        request.uri().path().starts_with("/api/"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://Keys.Example.com/w/x?y").as_deref(),
            Some("https://keys.example.com")
        );
        assert_eq!(
            origin_of("https://keys.example.com:443").as_deref(),
            Some("https://keys.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000/").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("https://user@evil.example"), None);
    }

    #[test]
    fn a_public_url_is_the_only_origin_of_a_deployment() {
        let own = OwnOrigins::new("https://keys.example.com", "0.0.0.0:8080".parse().unwrap());
        assert!(own.contains("https://keys.example.com"));
        assert!(!own.contains("http://keys.example.com"));
        assert!(!own.contains("https://keys.example.com.evil.example"));
        assert!(!own.contains("null"));
    }

    #[test]
    fn demo_mode_answers_as_its_loopback_address() {
        let own = OwnOrigins::new("", "127.0.0.1:3000".parse().unwrap());
        assert!(own.contains("http://127.0.0.1:3000"));
        assert!(own.contains("http://localhost:3000"));
        assert!(!own.contains("http://localhost:3001"));
        assert!(!own.contains("https://evil.example"));
    }
}
