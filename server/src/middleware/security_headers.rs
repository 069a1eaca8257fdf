//! Security headers on every response.
//!
//! - **Content-Security-Policy.** A page rendered by Leptos gets [`SitePolicy::for_page`]
//!   with that response's nonce (set while rendering, where the nonce is known): scripts
//!   only from this origin or carrying the nonce (Leptos's inline hydration bootstrap and
//!   resource data), wasm allowed to compile, styles only from this origin — no inline
//!   scripts or styles otherwise. Any other response (JSON, files, redirects) gets a
//!   policy that allows nothing, so it cannot run anything if a browser renders it.
//! - `frame-ancestors 'none'` plus `X-Frame-Options: DENY`: no page can be framed
//!   (clickjacking a "Show key" button).
//! - `X-Content-Type-Options: nosniff`, and `Referrer-Policy: same-origin`: a page's URL
//!   never leaks to another site (OpenRouter's docs, GitHub), yet our own pages still tell
//!   our server which page a plain form was posted from — the no-JavaScript path of every
//!   form (claim, refresh, admin actions) is answered with a redirect back to it, and
//!   under `no-referrer` browsers send neither `Referer` nor a real `Origin`;
//! - HSTS when the site is served over https;
//! - `Permissions-Policy` turning off devices no page uses, `Cross-Origin-Opener-Policy:
//!   same-origin` and `Cross-Origin-Resource-Policy: same-origin`.

use axum::{
    extract::Request,
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};

/// Browser features no page of ours uses, turned off for every page and frame.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), \
     usb=(), serial=(), hid=(), midi=(), display-capture=(), accelerometer=(), gyroscope=(), \
     magnetometer=()";

/// The policy of everything that is not a page: nothing may load or run.
pub const NOTHING_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// What the site's pages may do; built once at start-up.
#[derive(Debug, Clone)]
pub struct SitePolicy {
    /// Served over https: send HSTS.
    pub https: bool,
    /// Where forms may lead besides this origin: the OAuth providers the sign-in forms
    /// redirect to (a form's redirect target is checked against `form-action` too).
    pub form_targets: Vec<String>,
    /// `cargo leptos watch`: the live-reload script talks to its websocket.
    pub live_reload: bool,
}

impl SitePolicy {
    pub fn for_page(&self, nonce: &str) -> String {
        let mut form_action = String::from("'self'");
        for target in &self.form_targets {
            form_action.push(' ');
            form_action.push_str(target);
        }
        let connect = if self.live_reload {
            "'self' ws: wss:"
        } else {
            "'self'"
        };
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src {connect}; font-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action {form_action}; \
             frame-ancestors 'none'"
        )
    }
}

pub async fn security_headers(https: bool, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Nothing here uses a camera, a microphone, the location or any other device; a
    // script that got in could not either. (The clipboard is left alone: Copy uses it.)
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    // No other site's window keeps a handle on ours (a page opened from an email link,
    // say), and no other site may embed our files (wasm, scripts, answers).
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NOTHING_POLICY),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::SitePolicy;

    #[test]
    fn the_page_policy_allows_the_nonce_and_nothing_inline() {
        let policy = SitePolicy {
            https: true,
            form_targets: vec!["https://accounts.google.com".into()],
            live_reload: false,
        }
        .for_page("abc123");
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("form-action 'self' https://accounts.google.com;"));
        assert!(policy.contains("connect-src 'self';"));
    }
}
