//! Email normalisation: the key the one-key-per-person rule uses.
//!
//! Lowercase, trimmed, `+tag` removed from the local part for every domain, and for
//! Gmail (`gmail.com`, `googlemail.com`) dots removed and the domain unified. The aim is
//! that `Jane.Doe+ws@gmail.com` and `janedoe@googlemail.com` — one mailbox — count as one
//! attendee. Dots are kept elsewhere because other providers treat them as distinct.

pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.rsplit_once('@')?;
    if local.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || local.contains(char::is_whitespace)
    {
        return None;
    }
    let local = local.split('+').next().unwrap_or(local);
    if local.is_empty() {
        return None;
    }
    let (local, domain) = match domain {
        "gmail.com" | "googlemail.com" => (local.replace('.', ""), "gmail.com"),
        _ => (local.to_string(), domain),
    };
    Some(format!("{local}@{domain}"))
}

/// The domain part of an address, lowercase.
pub fn email_domain(email: &str) -> Option<String> {
    email
        .trim()
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_strips_tags() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        assert_eq!(
            normalize_email("ada+ws@example.com").as_deref(),
            Some("ada@example.com")
        );
        assert_eq!(
            normalize_email("a.da@example.com").as_deref(),
            Some("a.da@example.com")
        );
    }

    #[test]
    fn gmail_dots_and_domain_are_one_mailbox() {
        assert_eq!(
            normalize_email("Jane.Doe+x@googlemail.com").as_deref(),
            Some("janedoe@gmail.com")
        );
    }

    #[test]
    fn refuses_non_addresses() {
        assert_eq!(normalize_email("nobody"), None);
        assert_eq!(normalize_email("@example.com"), None);
        assert_eq!(normalize_email("+tag@example.com"), None);
        assert_eq!(normalize_email("a@localhost"), None);
    }
}
