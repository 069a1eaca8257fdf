//! What server functions add to the request's tracing span. The span itself (method,
//! path, request id, and an empty `slug` field) is opened by the HTTP layer in the
//! server crate; a server function fills in the workshop it acts on, so every log line
//! of a claim, down to the OpenRouter calls, names it. Never a key or a full email.

/// Records the workshop slug on the current request span (ignored when the span has no
/// such field, e.g. outside a request). Only a valid-looking slug is recorded, so a
/// forged one cannot stuff the logs.
pub fn record_slug(slug: &str) {
    if crate::registry::is_valid_slug(slug) {
        tracing::Span::current().record("slug", slug);
    }
}

/// A short, stable stand-in for an identifier that may contain an email (a demo user
/// id is `demo:<address>`): enough to follow one person through the logs, not to learn
/// who they are.
pub fn short_id(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())[..4]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
