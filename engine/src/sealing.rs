//! Sealing: authenticated encryption (XChaCha20-Poly1305) of small secrets we store or
//! hand to a browser, so that what leaves our hands can be neither read nor changed,
//! nor moved to another place: every seal is bound to a *context* (say, the table and row
//! it belongs to) that must be given again to open it.
//!
//! A sealed value is text, `wkm1.<key id>.<base64url(nonce ‖ ciphertext)>`: versioned,
//! naming the key that sealed it, with a fresh 192-bit random nonce each time. A
//! [`KeyRing`] seals with its first key and opens with any of them, which is how a key is
//! rotated: put the new one first, re-seal, then drop the old one.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const PREFIX: &str = "wkm1";
const NONCE_BYTES: usize = 24;

/// Why a key ring could not be made from its text form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    #[error("no key given")]
    Empty,
    #[error(
        "entry {0} is not `id:base64` (an id of letters, digits, `-` or `_`, then 32 bytes in \
         base64)"
    )]
    Malformed(usize),
    #[error("key `{0}` is not 32 bytes")]
    WrongLength(String),
    #[error("key id `{0}` appears twice")]
    DuplicateId(String),
}

/// Why a sealed value could not be opened. Never says more than which case it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("not a sealed value")]
    NotSealed,
    #[error("sealed with key `{0}`, which this key ring does not have")]
    UnknownKey(String),
    #[error("the sealed value was changed, or belongs elsewhere")]
    Tampered,
}

struct SealingKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

/// Keys by id; the first seals. Cheap to clone. Its `Debug` shows ids, never keys.
#[derive(Clone)]
pub struct KeyRing {
    keys: Arc<Vec<SealingKey>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing").field("ids", &self.ids()).finish()
    }
}

impl KeyRing {
    /// A ring of `(id, 32 random bytes)` keys; the first seals.
    pub fn new(keys: Vec<(String, [u8; 32])>) -> Result<Self, KeyRingError> {
        if keys.is_empty() {
            return Err(KeyRingError::Empty);
        }
        let mut ring: Vec<SealingKey> = Vec::with_capacity(keys.len());
        for (index, (id, bytes)) in keys.into_iter().enumerate() {
            if !is_valid_id(&id) {
                return Err(KeyRingError::Malformed(index + 1));
            }
            if ring.iter().any(|key| key.id == id) {
                return Err(KeyRingError::DuplicateId(id));
            }
            ring.push(SealingKey {
                cipher: XChaCha20Poly1305::new(&bytes.into()),
                id,
            });
        }
        Ok(KeyRing {
            keys: Arc::new(ring),
        })
    }

    /// Reads `id:base64[,id:base64…]` (standard or URL-safe base64, padding optional).
    pub fn parse(text: &str) -> Result<Self, KeyRingError> {
        let mut keys = Vec::new();
        for (index, entry) in text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .enumerate()
        {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or(KeyRingError::Malformed(index + 1))?;
            let encoded = encoded.trim().trim_end_matches('=');
            let bytes = URL_SAFE_NO_PAD
                .decode(encoded)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded))
                .map_err(|_| KeyRingError::Malformed(index + 1))?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| KeyRingError::WrongLength(id.trim().to_string()))?;
            keys.push((id.trim().to_string(), bytes));
        }
        KeyRing::new(keys)
    }

    /// A fresh random key, in the text form [`KeyRing::parse`] reads (`id:base64`).
    pub fn generate_entry(id: &str) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        format!("{id}:{}", STANDARD.encode(bytes))
    }

    /// The ids, sealing key first.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|key| key.id.as_str()).collect()
    }

    /// The id of the key that seals.
    pub fn sealing_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `plaintext`, bound to `context`.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            // Only fails for inputs of gigabytes; what we seal is a few hundred bytes.
            .expect("XChaCha20-Poly1305 seals any small value");
        let mut bytes = Vec::with_capacity(NONCE_BYTES + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}.{}.{}", key.id, URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Opens a value sealed by any key of the ring, if it was sealed for `context`.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, OpenError> {
        let (id, encoded) = parts(sealed).ok_or(OpenError::NotSealed)?;
        let key = self
            .keys
            .iter()
            .find(|key| key.id == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_string()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| OpenError::Tampered)?;
        if bytes.len() < NONCE_BYTES {
            return Err(OpenError::Tampered);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        key.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| OpenError::Tampered)
    }

    /// Whether `value` is in the sealed form (by any key), without opening it.
    pub fn is_sealed(value: &str) -> bool {
        parts(value).is_some()
    }

    /// The id of the key `value` was sealed with, if it is sealed.
    pub fn key_id_of(value: &str) -> Option<&str> {
        parts(value).map(|(id, _)| id)
    }
}

/// `wkm1.<id>.<payload>` → `(id, payload)`.
fn parts(sealed: &str) -> Option<(&str, &str)> {
    let rest = sealed.strip_prefix(PREFIX)?.strip_prefix('.')?;
    let (id, payload) = rest.split_once('.')?;
    (is_valid_id(id) && !payload.is_empty()).then_some((id, payload))
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(text: &str) -> KeyRing {
        KeyRing::parse(text).unwrap()
    }

    #[test]
    fn sealed_values_open_only_in_their_context() {
        let keys = ring(&KeyRing::generate_entry("k1"));
        let sealed = keys.seal(b"sk-or-v1-secret", b"workshop_attendance:u1:agents");
        assert!(sealed.starts_with("wkm1.k1."));
        assert!(!sealed.contains("secret"));
        assert_eq!(
            keys.open(&sealed, b"workshop_attendance:u1:agents")
                .unwrap(),
            b"sk-or-v1-secret"
        );
        assert_eq!(
            keys.open(&sealed, b"workshop_attendance:u2:agents"),
            Err(OpenError::Tampered),
            "moved to another row"
        );
        // Two seals of one value differ (fresh nonce each time).
        assert_ne!(sealed, keys.seal(b"sk-or-v1-secret", b"x"));
    }

    #[test]
    fn any_changed_character_is_refused() {
        let keys = ring(&KeyRing::generate_entry("k1"));
        let sealed = keys.seal(b"value", b"ctx");
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        assert_eq!(keys.open(&changed, b"ctx"), Err(OpenError::Tampered));
        assert_eq!(keys.open("wkm1.k1.", b"ctx"), Err(OpenError::NotSealed));
        assert_eq!(
            keys.open("sk-or-v1-plain", b"ctx"),
            Err(OpenError::NotSealed)
        );
        assert_eq!(keys.open("wkm1.k1.AAAA", b"ctx"), Err(OpenError::Tampered));
    }

    #[test]
    fn rotation_seals_with_the_first_key_and_opens_with_all() {
        let (old, new) = (
            KeyRing::generate_entry("old"),
            KeyRing::generate_entry("new"),
        );
        let before = ring(&old).seal(b"v", b"c");
        let rotated = ring(&format!("{new},{old}"));
        assert_eq!(rotated.open(&before, b"c").unwrap(), b"v");
        assert_eq!(KeyRing::key_id_of(&rotated.seal(b"v", b"c")), Some("new"));
        assert_eq!(
            ring(&new).open(&before, b"c"),
            Err(OpenError::UnknownKey("old".into()))
        );
    }

    #[test]
    fn key_rings_are_read_strictly_and_never_printed() {
        let entry = KeyRing::generate_entry("k1");
        let keys = ring(&entry);
        let printed = format!("{keys:?}");
        assert!(printed.contains("k1"));
        assert!(!printed.contains(entry.split_once(':').unwrap().1));
        assert_eq!(KeyRing::parse("").unwrap_err(), KeyRingError::Empty);
        assert_eq!(
            KeyRing::parse("k1").unwrap_err(),
            KeyRingError::Malformed(1)
        );
        assert_eq!(
            KeyRing::parse("k1:AAAA").unwrap_err(),
            KeyRingError::WrongLength("k1".into())
        );
        assert_eq!(
            KeyRing::parse(&format!("{entry},{entry}")).unwrap_err(),
            KeyRingError::DuplicateId("k1".into())
        );
        let bytes = entry.split_once(':').unwrap().1;
        assert_eq!(
            KeyRing::parse(&format!("bad id:{bytes}")).unwrap_err(),
            KeyRingError::Malformed(1)
        );
    }
}
