//! Validates JSON bodies against the OpenRouter spec (`openrouter-sim/spec/openrouter-openapi.yaml`),
//! the OpenRouter contract. Shared by the simulator's tests and the server's client tests
//! (which include this file by path):
//! a request body against its operation's request schema, a response body against the
//! schema for its path, method and status. `$ref`s into `components/schemas` resolve
//! because each schema is compiled inside a document that also carries the spec's
//! `components`. Formats (`uuid`, `date-time`) are checked too.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// The project's copy of OpenRouter's spec; where it came from and its digest are
/// recorded in [`SPEC_RECORD_PATH`], which `spec_copy_is_the_recorded_one` checks.
pub const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../openrouter-sim/spec/openrouter-openapi.yaml"
);

/// `openrouter-sim/spec/README.md`: the copy's origin and SHA-256.
pub const SPEC_RECORD_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../openrouter-sim/spec/README.md"
);

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

pub struct SpecValidator {
    spec: Value,
    /// Compiled validators by schema pointer: compiling is the slow part.
    compiled: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl SpecValidator {
    /// Loads [`SPEC_PATH`]; panics with the path when it is missing or malformed.
    pub fn load() -> Self {
        Self::from_file(Path::new(SPEC_PATH)).unwrap_or_else(|error| {
            panic!("cannot load the OpenRouter spec at {SPEC_PATH}: {error}")
        })
    }

    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
        let spec: Value = serde_yaml_ng::from_str(&text).map_err(|error| error.to_string())?;
        if spec.pointer("/paths").and_then(Value::as_object).is_none() {
            return Err("the spec has no paths".to_owned());
        }
        Ok(SpecValidator {
            spec,
            compiled: Mutex::new(HashMap::new()),
        })
    }

    /// Every operation, as `METHOD /path/template` (e.g. `POST /keys`).
    pub fn operations(&self) -> Vec<String> {
        let mut operations = Vec::new();
        for (path, item) in self.spec["paths"].as_object().into_iter().flatten() {
            for method in METHODS {
                if item.get(*method).is_some() {
                    operations.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        operations
    }

    /// The spec's path template for a concrete path (query ignored, any base prefix such
    /// as `/api/v1` stripped by the caller): `/keys/abc` → `/keys/{hash}`. Literal
    /// segments beat parameters when two templates fit.
    pub fn template_for(&self, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.spec["paths"]
            .as_object()?
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literals = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') && part.ends_with('}') {
                        continue;
                    }
                    if part != segment {
                        return None;
                    }
                    literals += 1;
                }
                Some((literals, template.clone()))
            })
            .max_by_key(|(literals, _)| *literals)
            .map(|(_, template)| template)
    }

    /// Checks a request body sent to `path` (concrete or template) with `method`.
    pub fn check_request(&self, method: &str, path: &str, body: &Value) -> Result<(), String> {
        let operation = self.operation_pointer(method, path)?;
        let pointer = format!("{operation}/requestBody/content/application~1json/schema");
        self.check(&pointer, body)
            .map_err(|error| format!("{} {path} request: {error}", method.to_uppercase()))
    }

    /// Checks a response body. A status the spec does not document for the operation is
    /// itself a violation.
    pub fn check_response(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), String> {
        let operation = self.operation_pointer(method, path)?;
        let pointer = format!("{operation}/responses/{status}/content/application~1json/schema");
        self.check(&pointer, body).map_err(|error| {
            format!(
                "{} {path} {status} response: {error}",
                method.to_uppercase()
            )
        })
    }

    fn operation_pointer(&self, method: &str, path: &str) -> Result<String, String> {
        let template = self
            .template_for(path)
            .ok_or_else(|| format!("no path in the spec matches {path}"))?;
        let pointer = format!(
            "/paths/{}/{}",
            template.replace('~', "~0").replace('/', "~1"),
            method.to_lowercase()
        );
        if self.spec.pointer(&pointer).is_none() {
            return Err(format!(
                "the spec has no {} {template}",
                method.to_uppercase()
            ));
        }
        Ok(pointer)
    }

    fn check(&self, pointer: &str, body: &Value) -> Result<(), String> {
        let validator = self.validator(pointer)?;
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|error| format!("at `{}`: {error}", error.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{}\nbody: {body}", errors.join("; ")))
        }
    }

    fn validator(&self, pointer: &str) -> Result<Arc<jsonschema::Validator>, String> {
        let mut compiled = self
            .compiled
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(validator) = compiled.get(pointer) {
            return Ok(validator.clone());
        }
        let schema = self
            .spec
            .pointer(pointer)
            .ok_or_else(|| format!("the spec documents no schema at {pointer}"))?;
        // The schema becomes the root of a document that also holds `components`, so
        // `#/components/schemas/...` resolves as it does in the spec.
        let mut document = match schema {
            Value::Object(object) => object.clone(),
            other => return Err(format!("schema at {pointer} is not an object: {other}")),
        };
        document.insert("components".to_owned(), self.spec["components"].clone());
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(document))
            .map_err(|error| format!("schema at {pointer} does not compile: {error}"))?;
        let validator = Arc::new(validator);
        compiled.insert(pointer.to_owned(), validator.clone());
        Ok(validator)
    }
}
