//! The workshop registry's loading rules: every refusal names the file, line and field.

use super::*;
use std::fs;
use wire::model::Usd;

const VALID: &str = "\
title: Agents on DuckDB
description: Bring a laptop.
timezone: Europe/Berlin
claims_open_at: 2026-04-14T08:00:00+02:00
claims_close_at: 2026-04-14T18:00:00+02:00
key_expires_at: 2026-04-15T06:00:00Z
key_limit_usd: 2.00
limit_usd: 300
max_attendees: 150
allowed_models: [openai/gpt-5-nano, anthropic/claude-sonnet-4.6]
admins: [Organiser@Example.com]
allowed_email_domains: []
";

/// Writes `files` into a fresh folder and loads it.
fn load(files: &[(&str, &str)]) -> Result<Registry, RegistryError> {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        fs::write(dir.path().join(name), content).unwrap();
    }
    Registry::load_dir(dir.path())
}

/// Loads one file that must be refused and returns its single problem.
fn refused(name: &str, content: &str) -> FileProblem {
    let error = load(&[(name, content)]).expect_err("the file should be refused");
    assert_eq!(error.problems.len(), 1, "expected one problem, got {error}");
    let problem = error.problems[0].clone();
    assert!(
        problem.file.ends_with(name),
        "message must name the file: {problem}"
    );
    problem
}

fn with(field_line: &str, replacement: &str) -> String {
    let prefix = field_line.split(':').next().unwrap();
    VALID
        .lines()
        .map(|line| {
            if line.starts_with(&format!("{prefix}:")) {
                replacement.to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn valid_file_loads_into_domain_types() {
    let registry = load(&[("agents-on-duckdb.yaml", VALID)]).unwrap();
    let workshop = registry.get("agents-on-duckdb").unwrap();
    assert_eq!(workshop.title, "Agents on DuckDB");
    assert_eq!(
        workshop.claims_open_at.to_rfc3339(),
        "2026-04-14T06:00:00+00:00"
    );
    assert_eq!(workshop.key_limit, Usd::from_micros(2_000_000));
    assert_eq!(workshop.limit, Usd::from_micros(300_000_000));
    assert_eq!(workshop.admins, vec!["organiser@example.com".to_string()]);
    assert_eq!(workshop.guardrail_name(), "workshop-agents-on-duckdb");
}

#[test]
fn key_expiry_defaults_to_a_day_after_close() {
    let source = VALID.replace("key_expires_at: 2026-04-15T06:00:00Z\n", "");
    let registry = load(&[("ws.yaml", &source)]).unwrap();
    let workshop = registry.get("ws").unwrap();
    assert_eq!(
        workshop.key_expires_at,
        workshop.claims_close_at + chrono::Duration::hours(24)
    );
}

#[test]
fn unknown_field_is_refused_with_its_line() {
    let problem = refused("ws.yaml", &format!("{VALID}limit_usdd: 3\n"));
    assert_eq!(problem.field.as_deref(), Some("limit_usdd"));
    assert_eq!(problem.line, Some(13));
    assert!(problem.message.contains("unknown field"), "{problem}");
}

#[test]
fn missing_field_is_refused() {
    let problem = refused("ws.yaml", &VALID.replace("title: Agents on DuckDB\n", ""));
    assert_eq!(problem.field.as_deref(), Some("title"));
}

#[test]
fn bad_slug_is_refused() {
    let problem = refused("Agents_DuckDB.yaml", VALID);
    assert!(
        problem.message.contains("bad slug `Agents_DuckDB`"),
        "{problem}"
    );
}

#[test]
fn time_without_offset_is_refused() {
    let problem = refused(
        "ws.yaml",
        &with("claims_open_at:", "claims_open_at: 2026-04-14T08:00:00"),
    );
    assert_eq!(problem.field.as_deref(), Some("claims_open_at"));
    assert_eq!(problem.line, Some(4));
    assert!(problem.message.contains("offset"), "{problem}");
}

#[test]
fn close_before_open_is_refused() {
    let problem = refused(
        "ws.yaml",
        &with(
            "claims_close_at:",
            "claims_close_at: 2026-04-14T07:00:00+02:00",
        ),
    );
    assert_eq!(problem.field.as_deref(), Some("claims_close_at"));
    assert_eq!(problem.line, Some(5));
    assert!(problem.message.contains("before they open"), "{problem}");
}

#[test]
fn expiry_before_close_is_refused() {
    let problem = refused(
        "ws.yaml",
        &with("key_expires_at:", "key_expires_at: 2026-04-14T12:00:00Z"),
    );
    assert_eq!(problem.field.as_deref(), Some("key_expires_at"));
    assert_eq!(problem.line, Some(6));
}

#[test]
fn empty_model_list_is_refused() {
    let problem = refused("ws.yaml", &with("allowed_models:", "allowed_models: []"));
    assert_eq!(problem.field.as_deref(), Some("allowed_models"));
    assert_eq!(problem.line, Some(10));
}

#[test]
fn malformed_model_is_refused() {
    let problem = refused(
        "ws.yaml",
        &with("allowed_models:", "allowed_models: [gpt-5-nano]"),
    );
    assert_eq!(problem.field.as_deref(), Some("allowed_models"));
    assert!(problem.message.contains("`gpt-5-nano`"), "{problem}");
}

#[test]
fn model_list_of_the_wrong_type_is_refused() {
    let problem = refused(
        "ws.yaml",
        &with("allowed_models:", "allowed_models: openai/gpt-5-nano"),
    );
    assert_eq!(problem.field.as_deref(), Some("allowed_models"));
    assert!(problem.line.is_some(), "{problem}");
}

#[test]
fn non_positive_money_is_refused() {
    let problem = refused("ws.yaml", &with("limit_usd:", "limit_usd: 0"));
    assert_eq!(problem.field.as_deref(), Some("limit_usd"));
    assert_eq!(problem.line, Some(8));
    let problem = refused("ws.yaml", &with("key_limit_usd:", "key_limit_usd: -1"));
    assert_eq!(problem.field.as_deref(), Some("key_limit_usd"));
}

#[test]
fn money_with_too_many_decimals_is_refused() {
    let problem = refused(
        "ws.yaml",
        &with("key_limit_usd:", "key_limit_usd: 0.0000001"),
    );
    assert_eq!(problem.field.as_deref(), Some("key_limit_usd"));
}

#[test]
fn per_key_limit_above_the_cap_is_refused() {
    let problem = refused("ws.yaml", &with("key_limit_usd:", "key_limit_usd: 301"));
    assert_eq!(problem.field.as_deref(), Some("key_limit_usd"));
    assert!(
        problem.message.contains("above the workshop cap $300.00"),
        "{problem}"
    );
}

#[test]
fn unknown_time_zone_is_refused() {
    let problem = refused("ws.yaml", &with("timezone:", "timezone: Mars/Olympus"));
    assert_eq!(problem.field.as_deref(), Some("timezone"));
    assert_eq!(problem.line, Some(3));
}

#[test]
fn duplicate_slugs_are_refused_naming_both_files() {
    let error = load(&[("ws.yaml", VALID), ("ws.yml", VALID)]).expect_err("duplicate");
    assert_eq!(error.problems.len(), 1);
    let message = error.problems[0].to_string();
    assert!(
        message.contains("ws.yml") && message.contains("ws.yaml"),
        "{message}"
    );
    assert!(message.contains("duplicate slug `ws`"), "{message}");
}

#[test]
fn broken_yaml_is_refused_with_a_line() {
    let problem = refused("ws.yaml", "title: [unclosed\n");
    assert!(problem.line.is_some(), "{problem}");
}

#[test]
fn every_problem_of_every_file_is_reported() {
    let first = with("limit_usd:", "limit_usd: 0");
    let second = with("timezone:", "timezone: Nowhere");
    let error =
        load(&[("a.yaml", &first), ("b.yaml", &second), ("c.yaml", VALID)]).expect_err("bad");
    let text = error.to_string();
    assert!(
        text.starts_with("2 problems in the workshop files:"),
        "{text}"
    );
    assert!(text.contains("a.yaml:8: field `limit_usd`"), "{text}");
    assert!(text.contains("b.yaml:3: field `timezone`"), "{text}");
}

#[test]
fn state_follows_the_claim_window() {
    let registry = load(&[("ws.yaml", VALID)]).unwrap();
    let workshop = registry.get("ws").unwrap();
    let at = |text: &str| {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        workshop.state_at(at("2026-04-14T05:59:59Z")),
        WorkshopState::Upcoming
    );
    assert_eq!(
        workshop.state_at(at("2026-04-14T06:00:00Z")),
        WorkshopState::Open
    );
    assert_eq!(
        workshop.state_at(at("2026-04-14T16:00:00Z")),
        WorkshopState::Closed
    );
}

#[test]
fn the_demo_samples_are_valid_and_the_organisation_folder_starts_empty() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let samples =
        Registry::load_dir(&root.join("demo/workshops")).unwrap_or_else(|error| panic!("{error}"));
    assert!(samples.len() >= 2);
    // A fresh fork deployed live serves no workshop until someone adds a file: the
    // folder live mode reads holds only the template.
    let own = root.join("workshops");
    let registry = Registry::load_dir(&own).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(registry.len(), 0, "workshops/ must not ship a workshop");
    assert_eq!(
        check_templates(&own).unwrap_or_else(|error| panic!("{error}")),
        1
    );
}

#[test]
fn templates_are_never_loaded_but_are_checked_like_workshops() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("example.yaml.template"), VALID).unwrap();
    assert!(Registry::load_dir(dir.path()).unwrap().is_empty());
    assert_eq!(check_templates(dir.path()).unwrap(), 1);

    fs::write(
        dir.path().join("example.yaml.template"),
        format!("{VALID}colour: blue\n"),
    )
    .unwrap();
    let error = check_templates(dir.path()).unwrap_err();
    assert_eq!(error.problems.len(), 1, "{error}");
    assert!(
        error.problems[0]
            .to_string()
            .contains("example.yaml.template:13: field `colour`: unknown field"),
        "{error}"
    );
}

#[test]
fn the_marketing_question_is_optional_and_one_sentence() {
    let registry = load(&[("agents.yaml", VALID)]).unwrap();
    assert_eq!(registry.get("agents").unwrap().marketing_opt_in_text, None);
    let asking = format!("{VALID}marketing_opt_in_text: >\n  Tell me about\n  future workshops.\n");
    let registry = load(&[("agents.yaml", &asking)]).unwrap();
    assert_eq!(
        registry
            .get("agents")
            .unwrap()
            .marketing_opt_in_text
            .as_deref(),
        Some("Tell me about future workshops.")
    );
    let empty = format!("{VALID}marketing_opt_in_text: \"  \"\n");
    let problem = refused("agents.yaml", &empty);
    assert_eq!(problem.field.as_deref(), Some("marketing_opt_in_text"));
    let long = format!("{VALID}marketing_opt_in_text: {}\n", "word ".repeat(80));
    let problem = refused("agents.yaml", &long);
    assert!(problem.message.contains("300"), "{problem}");
}

#[test]
fn key_pool_is_auto_unless_the_file_says_otherwise() {
    let registry = load(&[("ws.yaml", VALID)]).unwrap();
    let workshop = registry.get("ws").unwrap();
    assert_eq!(workshop.key_pool, KeyPoolSize::Auto);
    // 150 places, none claimed: 30 ready.
    assert_eq!(workshop.pool_target(0, 0), 30);
    for (line, size) in [
        ("key_pool: auto", KeyPoolSize::Auto),
        ("key_pool: 40", KeyPoolSize::Fixed(40)),
        ("key_pool: 0", KeyPoolSize::Fixed(0)),
    ] {
        let registry = load(&[("ws.yaml", &format!("{VALID}{line}\n"))]).unwrap();
        assert_eq!(registry.get("ws").unwrap().key_pool, size, "{line}");
    }
}

#[test]
fn a_bad_key_pool_is_refused_with_its_line() {
    for (line, words) in [
        ("key_pool: lots", "write `auto`, a number of keys, or 0"),
        ("key_pool: -3", "use 0 (no pool) to 5000"),
        ("key_pool: 100000", "use 0 (no pool) to 5000"),
        ("key_pool: 1.5", "`1.5` is not a pool size"),
    ] {
        let problem = refused("ws.yaml", &format!("{VALID}{line}\n"));
        assert_eq!(problem.field.as_deref(), Some("key_pool"), "{line}");
        assert_eq!(problem.line, Some(13), "{line}");
        assert!(problem.message.contains(words), "{line}: {problem}");
    }
}

#[test]
fn the_most_a_key_may_be_topped_up_to_is_checked_against_the_limits() {
    let registry = load(&[("ws.yaml", VALID)]).unwrap();
    assert_eq!(registry.get("ws").unwrap().max_key_limit, None);
    let registry = load(&[("ws.yaml", &format!("{VALID}max_key_limit_usd: 5\n"))]).unwrap();
    assert_eq!(
        registry.get("ws").unwrap().max_key_limit,
        Usd::from_dollars(5.0)
    );
    for (value, words) in [
        ("1.5", "below the per-key limit"),
        ("301", "above the workshop cap"),
        ("0", "must be more than zero"),
    ] {
        let problem = refused("ws.yaml", &format!("{VALID}max_key_limit_usd: {value}\n"));
        assert_eq!(
            problem.field.as_deref(),
            Some("max_key_limit_usd"),
            "{value}"
        );
        assert!(problem.message.contains(words), "{value}: {problem}");
    }
}
