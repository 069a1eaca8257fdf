//! Model slugs to canonical slugs, as guardrails report them: OpenRouter accepts a short
//! slug (`openai/gpt-5-nano`) but answers with the dated, immutable id
//! (`openai/gpt-5-nano-2025-08-07`). A client that compares what it sent with what it
//! got back must see the difference, so the simulator rewrites the same way.

/// Short slugs of a few well-known models and their canonical ids.
const KNOWN: &[(&str, &str)] = &[
    ("openai/gpt-5", "openai/gpt-5-2025-08-07"),
    ("openai/gpt-5-mini", "openai/gpt-5-mini-2025-08-07"),
    ("openai/gpt-5-nano", "openai/gpt-5-nano-2025-08-07"),
    ("openai/gpt-5.2", "openai/gpt-5.2-20251211"),
    ("openai/gpt-4o-mini", "openai/gpt-4o-mini-2024-07-18"),
    ("openai/gpt-4.1-mini", "openai/gpt-4.1-mini-2025-04-14"),
    (
        "anthropic/claude-sonnet-4.5",
        "anthropic/claude-4.5-sonnet-20250929",
    ),
    (
        "anthropic/claude-haiku-4.5",
        "anthropic/claude-4.5-haiku-20251001",
    ),
    (
        "anthropic/claude-opus-4.5",
        "anthropic/claude-4.5-opus-20251124",
    ),
    (
        "google/gemini-2.5-flash",
        "google/gemini-2.5-flash-20250617",
    ),
    ("google/gemini-2.5-pro", "google/gemini-2.5-pro-20250617"),
];

/// Appended to slugs the table does not know, so every short slug still changes
/// deterministically.
pub(crate) const UNKNOWN_MODEL_SUFFIX: &str = "-20250101";

/// The canonical slug for `slug`. Idempotent: canonical slugs, and slugs that already end
/// in a date (`deepseek/deepseek-r1-0528`), come back unchanged. A variant suffix such as
/// `:free` is kept after the canonical id.
pub(crate) fn canonical_slug(slug: &str) -> String {
    let (base, variant) = match slug.split_once(':') {
        Some((base, variant)) => (base, Some(variant)),
        None => (slug, None),
    };
    let canonical = if let Some((_, canonical)) = KNOWN.iter().find(|(short, _)| *short == base) {
        (*canonical).to_owned()
    } else if KNOWN.iter().any(|(_, canonical)| *canonical == base) || ends_in_date(base) {
        base.to_owned()
    } else {
        format!("{base}{UNKNOWN_MODEL_SUFFIX}")
    };
    match variant {
        Some(variant) => format!("{canonical}:{variant}"),
        None => canonical,
    }
}

/// `…-20250101`, `…-0528` or `…-2025-08-07`.
fn ends_in_date(slug: &str) -> bool {
    let all_digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let mut parts = slug.rsplit('-');
    let last = parts.next().unwrap_or_default();
    if all_digits(last) && (last.len() == 8 || last.len() == 4) {
        return true;
    }
    let (Some(month), Some(year)) = (parts.next(), parts.next()) else {
        return false;
    };
    all_digits(last)
        && last.len() == 2
        && all_digits(month)
        && month.len() == 2
        && all_digits(year)
        && year.len() == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_slugs_become_dated_ids() {
        assert_eq!(
            canonical_slug("openai/gpt-5-nano"),
            "openai/gpt-5-nano-2025-08-07"
        );
        assert_eq!(canonical_slug("acme/new-model"), "acme/new-model-20250101");
        assert_eq!(
            canonical_slug("acme/new-model:free"),
            "acme/new-model-20250101:free"
        );
    }

    #[test]
    fn canonical_slugs_are_left_alone() {
        for slug in [
            "openai/gpt-5-nano-2025-08-07",
            "anthropic/claude-4.5-opus-20251124",
            "deepseek/deepseek-r1-0528:free",
            "acme/new-model-20250101",
        ] {
            assert_eq!(canonical_slug(slug), slug);
            assert_eq!(canonical_slug(&canonical_slug(slug)), slug);
        }
    }
}
