//! One workshop file: strict parsing of the YAML and the checks that make it a
//! [`Workshop`]. Every problem names the file, the line and the field.

use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::key_pool_size::{KeyPoolField, KeyPoolSize};
use super::problem::FileProblem;
use crate::{email::exact_address, time_format::workshop_time};
use wire::model::{Usd, WorkshopState, WorkshopSummary};

/// A validated workshop. Times are UTC; money is exact.
#[derive(Debug, Clone, PartialEq)]
pub struct Workshop {
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    pub timezone: Tz,
    pub claims_open_at: DateTime<Utc>,
    pub claims_close_at: DateTime<Utc>,
    pub key_expires_at: DateTime<Utc>,
    /// Budget of each attendee's key.
    pub key_limit: Usd,
    /// Workshop-wide cap: the per-key limits issued may not add up to more.
    pub limit: Usd,
    pub max_attendees: Option<i64>,
    pub allowed_models: Vec<String>,
    /// Exact addresses, lowercased (see [`exact_address`]): admin rights are never
    /// granted through a normalised form.
    pub admins: Vec<String>,
    /// Lowercase domains; empty means every domain is welcome.
    pub allowed_email_domains: Vec<String>,
    /// The question next to the claim button for an optional marketing opt-in; no
    /// question (and no opt-in) when absent.
    pub marketing_opt_in_text: Option<String>,
    /// How many ready keys the warm pool keeps (`key_pool`; see `key_pool_size`).
    pub key_pool: KeyPoolSize,
    /// The most a key may be topped up to (`max_key_limit_usd`); `None`: up to the cap.
    pub max_key_limit: Option<Usd>,
    /// SHA-256 of the file as loaded: which version of it this instance carries (a
    /// rolling deploy runs two side by side; see `Minter::carries_newest_file`).
    pub file_digest: String,
}

impl Workshop {
    /// Claims are accepted in `[claims_open_at, claims_close_at)`.
    pub fn state_at(&self, now: DateTime<Utc>) -> WorkshopState {
        if now < self.claims_open_at {
            WorkshopState::Upcoming
        } else if now < self.claims_close_at {
            WorkshopState::Open
        } else {
            WorkshopState::Closed
        }
    }

    /// How many ready keys the warm pool keeps, given the claims made so far and the
    /// sum of their per-key limits (the rule: `key_pool_size`).
    pub fn pool_target(&self, claims: i64, committed_micros: i64) -> i64 {
        super::key_pool_size::pool_target(super::key_pool_size::PoolInputs {
            size: self.key_pool,
            max_attendees: self.max_attendees,
            key_limit_micros: self.key_limit.micros(),
            cap_micros: self.limit.micros(),
            claims,
            committed_micros,
        })
    }

    /// The name prefix of this workshop's pool keys on OpenRouter: a key carries it from
    /// its creation until the rename to its attendee's name after hand-out.
    pub fn pool_key_prefix(&self) -> String {
        format!("workshop-{}-pool-", self.slug)
    }

    /// The OpenRouter guardrail holding this workshop's model allowlist.
    pub fn guardrail_name(&self) -> String {
        format!("workshop-{}", self.slug)
    }

    pub fn summary(&self, now: DateTime<Utc>) -> WorkshopSummary {
        WorkshopSummary {
            slug: self.slug.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            timezone: self.timezone.name().to_string(),
            state: self.state_at(now),
            claims_open_at: workshop_time(self.claims_open_at, self.timezone),
            claims_close_at: workshop_time(self.claims_close_at, self.timezone),
            key_expires_at: workshop_time(self.key_expires_at, self.timezone),
            key_limit: self.key_limit,
            allowed_models: self.allowed_models.clone(),
        }
    }
}

/// The file as written. Unknown fields are refused so a typo (`limit_usdd`) cannot
/// silently fall back to a default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkshopFile {
    title: String,
    #[serde(default)]
    description: Option<String>,
    timezone: String,
    claims_open_at: String,
    claims_close_at: String,
    #[serde(default)]
    key_expires_at: Option<String>,
    key_limit_usd: f64,
    limit_usd: f64,
    #[serde(default)]
    max_attendees: Option<i64>,
    allowed_models: Vec<String>,
    #[serde(default)]
    admins: Vec<String>,
    #[serde(default)]
    allowed_email_domains: Vec<String>,
    #[serde(default)]
    marketing_opt_in_text: Option<String>,
    #[serde(default)]
    key_pool: Option<KeyPoolField>,
    #[serde(default)]
    max_key_limit_usd: Option<f64>,
}

const FIELDS: &[&str] = &[
    "title",
    "description",
    "timezone",
    "claims_open_at",
    "claims_close_at",
    "key_expires_at",
    "key_limit_usd",
    "limit_usd",
    "max_attendees",
    "allowed_models",
    "admins",
    "allowed_email_domains",
    "marketing_opt_in_text",
    "key_pool",
    "max_key_limit_usd",
];

/// When `key_expires_at` is left out, keys live one day past the close of claims.
pub const DEFAULT_KEY_LIFETIME_AFTER_CLOSE: Duration = Duration::hours(24);

pub fn parse_workshop_file(path: &Path, source: &str) -> Result<Workshop, Vec<FileProblem>> {
    let mut checker = Checker {
        path,
        source,
        problems: Vec::new(),
    };
    let slug = checker.slug();
    let file: WorkshopFile = match serde_yaml_ng::from_str(source) {
        Ok(file) => file,
        Err(error) => {
            checker
                .problems
                .push(checker.problem_from_yaml_error(&error));
            return Err(checker.problems);
        }
    };
    let workshop = checker.validate(slug, file);
    match workshop {
        Some(workshop) if checker.problems.is_empty() => Ok(workshop),
        _ => Err(checker.problems),
    }
}

struct Checker<'a> {
    path: &'a Path,
    source: &'a str,
    problems: Vec<FileProblem>,
}

impl Checker<'_> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FileProblem {
            file: self.path.display().to_string(),
            line: line_of_field(self.source, field),
            field: Some(field.to_string()),
            message: message.into(),
        });
    }

    fn slug(&mut self) -> String {
        // `name.yaml`, or a template's `name.yaml.template`: the slug is `name`.
        let file_name = self
            .path
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let file_name = file_name.strip_suffix(".template").unwrap_or(file_name);
        let stem = Path::new(file_name)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if !is_valid_slug(stem) {
            self.problems.push(FileProblem::whole_file(
                self.path,
                format!(
                    "bad slug `{stem}`: the file name must be lowercase letters, digits and \
                     single dashes (at most 64), like `agents-on-duckdb.yaml`"
                ),
            ));
        }
        stem.to_string()
    }

    fn problem_from_yaml_error(&self, error: &serde_yaml_ng::Error) -> FileProblem {
        let message = error.to_string();
        let field = field_named_in(&message);
        let line = error
            .location()
            .map(|location| location.line())
            .or_else(|| {
                field
                    .as_deref()
                    .and_then(|field| line_of_field(self.source, field))
            });
        FileProblem {
            file: self.path.display().to_string(),
            line,
            field,
            message: strip_location(&message),
        }
    }

    fn validate(&mut self, slug: String, file: WorkshopFile) -> Option<Workshop> {
        if file.title.trim().is_empty() {
            self.problem("title", "must not be empty");
        }
        let timezone = match Tz::from_str(file.timezone.trim()) {
            Ok(zone) => Some(zone),
            Err(_) => {
                self.problem(
                    "timezone",
                    format!(
                        "unknown time zone `{}`: use an IANA name like `Europe/Berlin` or `UTC`",
                        file.timezone
                    ),
                );
                None
            }
        };
        let open = self.time("claims_open_at", &file.claims_open_at);
        let close = self.time("claims_close_at", &file.claims_close_at);
        let expires = match &file.key_expires_at {
            Some(text) => self.time("key_expires_at", text),
            None => close.map(|close| close + DEFAULT_KEY_LIFETIME_AFTER_CLOSE),
        };
        if let (Some(open), Some(close)) = (open, close) {
            if close <= open {
                self.problem(
                    "claims_close_at",
                    format!("claims close ({close}) before they open ({open})"),
                );
            }
        }
        if let (Some(close), Some(expires)) = (close, expires) {
            if expires <= close {
                self.problem(
                    "key_expires_at",
                    format!("keys would expire ({expires}) before claims close ({close})"),
                );
            }
        }
        let key_limit = self.money("key_limit_usd", file.key_limit_usd);
        let limit = self.money("limit_usd", file.limit_usd);
        if let (Some(key_limit), Some(limit)) = (key_limit, limit) {
            if key_limit > limit {
                self.problem(
                    "key_limit_usd",
                    format!("the per-key limit {key_limit} is above the workshop cap {limit}"),
                );
            }
        }
        let max_key_limit = file
            .max_key_limit_usd
            .and_then(|max| self.money("max_key_limit_usd", max));
        if let (Some(max), Some(key_limit), Some(limit)) = (max_key_limit, key_limit, limit) {
            if max < key_limit {
                self.problem(
                    "max_key_limit_usd",
                    format!("the most a key may be topped up to ({max}) is below the per-key limit {key_limit}"),
                );
            } else if max > limit {
                self.problem(
                    "max_key_limit_usd",
                    format!("the most a key may be topped up to ({max}) is above the workshop cap {limit}"),
                );
            }
        }
        if let Some(max) = file.max_attendees {
            if max < 1 {
                self.problem(
                    "max_attendees",
                    "must be at least 1 (or left out for no limit)",
                );
            }
        }
        let allowed_models = self.models(file.allowed_models);
        let admins = self.admins(file.admins);
        let allowed_email_domains = self.domains(file.allowed_email_domains);
        let description = file
            .description
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty());
        let marketing_opt_in_text = self.opt_in_text(file.marketing_opt_in_text);
        let key_pool = match file.key_pool.map(|field| field.size()) {
            None => KeyPoolSize::Auto,
            Some(Ok(size)) => size,
            Some(Err(message)) => {
                self.problem("key_pool", message);
                KeyPoolSize::Auto
            }
        };

        Some(Workshop {
            slug,
            title: file.title.trim().to_string(),
            description,
            timezone: timezone?,
            claims_open_at: open?,
            claims_close_at: close?,
            key_expires_at: expires?,
            key_limit: key_limit?,
            limit: limit?,
            max_attendees: file.max_attendees,
            allowed_models,
            admins,
            allowed_email_domains,
            marketing_opt_in_text,
            key_pool,
            max_key_limit,
            file_digest: hex_digest(self.source),
        })
    }

    /// The opt-in question: one short sentence people can read next to a checkbox.
    fn opt_in_text(&mut self, text: Option<String>) -> Option<String> {
        let text = text?.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            self.problem(
                "marketing_opt_in_text",
                "is empty; write the question, or leave the field out for no opt-in",
            );
            return None;
        }
        if text.chars().count() > 300 {
            self.problem(
                "marketing_opt_in_text",
                "is longer than 300 characters; keep it to one sentence next to a checkbox",
            );
            return None;
        }
        Some(text)
    }

    fn time(&mut self, field: &str, text: &str) -> Option<DateTime<Utc>> {
        match DateTime::parse_from_rfc3339(text.trim()) {
            Ok(time) => Some(time.with_timezone(&Utc)),
            Err(_) => {
                self.problem(
                    field,
                    format!(
                        "`{text}` is not a date and time with an offset; write it like \
                         2026-04-14T08:00:00+02:00 or 2026-04-14T06:00:00Z"
                    ),
                );
                None
            }
        }
    }

    fn money(&mut self, field: &str, dollars: f64) -> Option<Usd> {
        match Usd::from_dollars(dollars) {
            Some(amount) if amount.is_positive() => Some(amount),
            Some(_) => {
                self.problem(field, format!("must be more than zero (got {dollars})"));
                None
            }
            None => {
                self.problem(
                    field,
                    format!("`{dollars}` is not an amount in USD with at most six decimals"),
                );
                None
            }
        }
    }

    fn models(&mut self, models: Vec<String>) -> Vec<String> {
        if models.is_empty() {
            self.problem(
                "allowed_models",
                "must list at least one model, like `openai/gpt-5-nano`",
            );
        }
        let mut seen = Vec::new();
        for model in models {
            let model = model.trim().to_string();
            if !is_valid_model_slug(&model) {
                self.problem(
                    "allowed_models",
                    format!("`{model}` is not an OpenRouter model slug like `openai/gpt-5-nano`"),
                );
            } else if seen.contains(&model) {
                self.problem("allowed_models", format!("`{model}` is listed twice"));
            } else {
                seen.push(model);
            }
        }
        seen
    }

    fn admins(&mut self, admins: Vec<String>) -> Vec<String> {
        let mut exact = Vec::new();
        for admin in admins {
            match exact_address(&admin) {
                Some(email) => exact.push(email),
                None => self.problem("admins", format!("`{admin}` is not an email address")),
            }
        }
        exact
    }

    fn domains(&mut self, domains: Vec<String>) -> Vec<String> {
        let mut cleaned = Vec::new();
        for domain in domains {
            let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
            if is_valid_domain(&domain) {
                cleaned.push(domain);
            } else {
                self.problem(
                    "allowed_email_domains",
                    format!("`{domain}` is not a domain like `example.com`"),
                );
            }
        }
        cleaned
    }
}

/// SHA-256 in lowercase hex.
fn hex_digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `author/model`, optionally with a `:variant` (`meta-llama/llama-3.1-8b-instruct:free`).
fn is_valid_model_slug(model: &str) -> bool {
    let Some((author, name)) = model.split_once('/') else {
        return false;
    };
    let part_ok = |part: &str, extra: &[u8]| {
        !part.is_empty()
            && part.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b"-_.".contains(&b)
                    || extra.contains(&b)
            })
    };
    part_ok(author, b"") && part_ok(name, b":")
}

fn is_valid_domain(domain: &str) -> bool {
    domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The 1-based line where a top-level `field:` is written, for messages.
fn line_of_field(source: &str, field: &str) -> Option<usize> {
    source
        .lines()
        .position(|line| {
            line.strip_prefix(field)
                .map(|rest| rest.trim_start().starts_with(':'))
                .unwrap_or(false)
        })
        .map(|index| index + 1)
}

/// serde names the offending field in backticks (`unknown field `x``, `missing field `x``)
/// or as a path prefix (`limit_usd: invalid type ...`).
fn field_named_in(message: &str) -> Option<String> {
    for marker in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    let prefix = message.split(':').next()?;
    let root = prefix.split(['[', '.']).next()?;
    FIELDS.contains(&root).then(|| root.to_string())
}

/// The line goes in its own slot of the message; drop serde's " at line X column Y".
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}
