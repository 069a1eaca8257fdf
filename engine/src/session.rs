//! Sessions: a random token in an HttpOnly cookie, its SHA-256 in the database. Any
//! instance can serve any request, sign-out really ends the session, and a forged or
//! expired cookie finds no row.

use axum::http::{header, HeaderMap};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::{Attendee, Database, DbError};

/// How long a sign-in lasts. Long enough for a workshop day and its follow-up.
pub const SESSION_LIFETIME_SECONDS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCookie {
    /// True behind https: the cookie gets `Secure` and the `__Host-` prefix, which
    /// browsers only accept from a secure origin, for path `/`, without a domain.
    pub secure: bool,
}

impl SessionCookie {
    pub fn name(self) -> &'static str {
        if self.secure {
            "__Host-wkm_session"
        } else {
            "wkm_session"
        }
    }

    /// `base`, with the `__Host-` prefix behind https (see [`SessionCookie::secure`]).
    pub fn prefixed(self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_string()
        }
    }

    pub fn set(self, token: &str) -> String {
        self.build(self.name(), token, SESSION_LIFETIME_SECONDS)
    }

    pub fn clear(self) -> String {
        self.build(self.name(), "", 0)
    }

    /// Any short-lived cookie with the same flags (the sign-in `state`).
    pub fn build(self, name: &str, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }
}

/// 256 random bits, URL-safe.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty())
}

/// Creates a session for `user_id` and returns the token for the cookie. A new token at
/// every sign-in: a session id planted before sign-in is never promoted.
pub async fn start_session(
    database: &Database,
    user_id: &str,
    now: i64,
) -> Result<String, DbError> {
    let token = new_token();
    database
        .insert_session(
            &hash_token(&token),
            user_id,
            now,
            now + SESSION_LIFETIME_SECONDS,
        )
        .await?;
    Ok(token)
}

/// The signed-in attendee for this request, if any.
pub async fn session_attendee(
    database: &Database,
    cookie: SessionCookie,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<Attendee>, DbError> {
    match cookie_value(headers, cookie.name()) {
        // Tokens we issue are 43 characters; anything else cannot match and is not worth a query.
        Some(token) if token.len() == 43 => {
            database
                .find_session_attendee(&hash_token(&token), now)
                .await
        }
        _ => Ok(None),
    }
}

pub async fn end_session(
    database: &Database,
    cookie: SessionCookie,
    headers: &HeaderMap,
) -> Result<(), DbError> {
    if let Some(token) = cookie_value(headers, cookie.name()) {
        database.delete_session(&hash_token(&token)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_cookies_get_the_host_prefix_and_flags() {
        let cookie = SessionCookie { secure: true }.set("abc");
        assert!(
            cookie.starts_with("__Host-wkm_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=")
        );
        assert!(cookie.ends_with("; Secure"));
        let plain = SessionCookie { secure: false }.set("abc");
        assert!(plain.starts_with("wkm_session=abc;") && !plain.contains("Secure"));
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token("x"), hash_token("x"));
        assert_eq!(hash_token("x").len(), 64);
    }

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; wkm_session=tok".parse().unwrap());
        assert_eq!(
            cookie_value(&headers, "wkm_session").as_deref(),
            Some("tok")
        );
        assert_eq!(cookie_value(&headers, "b"), None);
    }
}
