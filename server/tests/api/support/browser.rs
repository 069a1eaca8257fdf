//! A cookie-keeping HTTP client that follows redirects one hop at a time, so sign-in
//! tests can watch (and tamper with) every step between our server and a provider.

use reqwest::{header::LOCATION, Response, StatusCode};

pub struct Browser {
    pub client: reqwest::Client,
}

/// Where a chain of redirects ended, and the response found there.
pub struct Landing {
    pub url: String,
    pub response: Response,
}

impl Browser {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(super::REQUEST_TIMEOUT)
            .build()
            .unwrap();
        Browser { client }
    }

    /// A navigation: like a browser's, it accepts HTML (leptos answers a page's
    /// `<Redirect>` with a 302 only to requests that do).
    pub async fn get(&self, url: &str) -> Response {
        self.client
            .get(url)
            .header(reqwest::header::ACCEPT, "text/html,*/*;q=0.8")
            .send()
            .await
            .unwrap()
    }

    /// Follows redirects from `url` for at most ten hops.
    pub async fn follow(&self, url: &str) -> Landing {
        let response = self.get(url).await;
        self.follow_response(url, response).await
    }

    /// Follows redirects starting from a response already received for `url`.
    pub async fn follow_response(&self, url: &str, mut response: Response) -> Landing {
        let mut url = url.to_string();
        for _ in 0..10 {
            let Some(next) = redirect_target(&url, &response) else {
                return Landing { url, response };
            };
            url = next;
            response = self.get(&url).await;
        }
        panic!("more than ten redirects, last at {url}");
    }

    /// Follows redirects until the next hop would go to `prefix`, and returns that URL
    /// without visiting it (to inspect or alter it first).
    pub async fn follow_until(&self, url: &str, prefix: &str) -> String {
        let mut url = url.to_string();
        let mut response = self.get(&url).await;
        for _ in 0..10 {
            let next = redirect_target(&url, &response)
                .unwrap_or_else(|| panic!("no redirect towards {prefix}; stopped at {url}"));
            if next.starts_with(prefix) {
                return next;
            }
            url = next;
            response = self.get(&url).await;
        }
        panic!("never redirected towards {prefix}");
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(url).form(form).send().await.unwrap()
    }
}

/// The absolute URL a redirect response points to.
pub fn redirect_target(from: &str, response: &Response) -> Option<String> {
    if !response.status().is_redirection() || response.status() == StatusCode::NOT_MODIFIED {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    Some(
        reqwest::Url::parse(from)
            .ok()?
            .join(location)
            .ok()?
            .to_string(),
    )
}

/// The query parameter `name` of `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `url` with query parameter `name` replaced by `value`.
pub fn with_query_param(url: &str, name: &str, value: &str) -> String {
    let mut parsed = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(key, old)| {
            let new = if key == name {
                value.to_string()
            } else {
                old.into_owned()
            };
            (key.into_owned(), new)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

/// A refused sign-in ends on our sign-in page with the reason's code.
pub fn assert_refused(landing: &Landing, code: &str) {
    let url = reqwest::Url::parse(&landing.url).unwrap();
    assert_eq!(
        url.path(),
        "/signin",
        "refused sign-ins end on the sign-in page: {}",
        landing.url
    );
    assert_eq!(
        query_param(&landing.url, "error").as_deref(),
        Some(code),
        "{}",
        landing.url
    );
}
