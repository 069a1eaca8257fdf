//! A string that must never be printed: management keys, client secrets, minted keys.
//! It is deliberately neither `Serialize` nor `Display`, and its `Debug` is redacted,
//! so it cannot leak through logs, error messages or the wire by accident. It can be
//! read from the database and from JSON, so a key is wrapped the moment it arrives.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Decode, Type};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The one way to read it, at the point of use (an Authorization header, a signature,
    /// the owner's own page).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

impl Type<Any> for Secret {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Secret {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        <String as Decode<'r, Any>>::decode(value).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("sk-or-v1-very-secret");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
        let read: Secret = serde_json::from_str("\"sk-or-v1-very-secret\"").unwrap();
        assert_eq!(read.expose(), "sk-or-v1-very-secret");
        assert!(!format!("{:?}", Some(read)).contains("very-secret"));
    }
}
