//! An island's data, carried in its props the way server functions carry their answers.
//!
//! Leptos reads island props with `serde_json::from_str`, and server-function answers
//! with `serde_json::from_slice`. Each is its own copy of every deserialiser below it,
//! so a type that is both an island's prop and a server function's answer (the claim
//! page) would be decoded by two copies of the same code in the attendee's bundle.
//! [`AsAnswer`] puts the value in the props as a JSON string and decodes it with
//! `from_slice`, the copy the server function's answer already needs.

use leptos::serde_json;
use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value of an island's props decoded like a server function's answer (see above).
#[derive(Clone, Debug, PartialEq)]
pub struct AsAnswer<T>(pub T);

impl<T: Serialize> Serialize for AsAnswer<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let json = serde_json::to_string(&self.0).map_err(S::Error::custom)?;
        serializer.serialize_str(&json)
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for AsAnswer<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = String::deserialize(deserializer)?;
        serde_json::from_slice(json.as_bytes())
            .map(AsAnswer)
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::AsAnswer;

    #[test]
    fn a_value_goes_through_the_props_as_a_json_string_and_comes_back_whole() {
        let value = AsAnswer(vec![("a \"quoted\" word".to_string(), 3_i64)]);
        let props = serde_json::to_string(&value).unwrap();
        assert_eq!(props, r#""[[\"a \\\"quoted\\\" word\",3]]""#);
        let back: AsAnswer<Vec<(String, i64)>> = serde_json::from_str(&props).unwrap();
        assert_eq!(back, value);
    }
}
