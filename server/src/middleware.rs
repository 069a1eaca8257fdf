//! The HTTP layers every response passes through, one job each. In the order a request
//! meets them (outermost first; see `application::router`):
//!
//! 1. [`crate::telemetry`] — request id and span;
//! 2. compression (on the fly), after [`precompressed`] answered what it could;
//! 3. [`security_headers`] — CSP (the page's own, with its nonce), framing, sniffing,
//!    referrer, HSTS, and `Cache-Control` (hashed assets immutable, everything else
//!    `no-store`);
//! 4. [`cross_site`] — refuses state-changing requests from other origins;
//! 5. [`body_limit`] — small request bodies only, read before anything else touches them;
//! 6. [`error_status`] — a server function's error answered with its real status;
//! 7. [`page_redirect`] — a page that redirects while rendering answers 303.

pub mod body_limit;
pub mod cache;
pub mod cross_site;
pub mod error_status;
pub mod page_redirect;
pub mod precompressed;
pub mod security_headers;
