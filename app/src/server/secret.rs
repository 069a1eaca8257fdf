//! A string that must never be printed: management keys, client secrets, session keys.
//! It is deliberately neither `Serialize` nor `Display`, and its `Debug` is redacted,
//! so it cannot leak through logs, error messages or the wire by accident.

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The one way to read it, at the point of use (an Authorization header, a signature).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_never_shows_the_value() {
        let secret = super::Secret::new("sk-or-v1-very-secret");
        assert_eq!(format!("{secret:?}"), "Secret([redacted])");
    }
}
