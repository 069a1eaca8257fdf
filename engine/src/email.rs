//! Email addresses: the exact verified address (for admin rights) and the normalised
//! mailbox (for one key per person).
//!
//! Normalisation lowercases and trims, and removes what a mail provider is *known* to
//! ignore, so two spellings of one mailbox count as one attendee:
//!
//! | provider | domains | `+tag` removed | dots removed |
//! |---|---|---|---|
//! | Gmail | gmail.com, googlemail.com (read as gmail.com) | yes | yes |
//! | Outlook | outlook.com, hotmail.com, live.com | yes | no |
//! | iCloud | icloud.com, me.com, mac.com | yes | no |
//! | Fastmail | fastmail.com, fastmail.fm | yes | no |
//! | Proton | proton.me, protonmail.com, protonmail.ch, pm.me | yes | no |
//!
//! Everywhere else the local part is kept as written: `a+b@corp.example` is its own
//! address, because nobody outside `corp.example` can tell whether its server delivers
//! it to `a@corp.example`. Two addresses with the same normalised form are therefore
//! provably one mailbox.

/// Domains whose servers deliver `local+tag@` to `local@`.
const PLUS_TAG_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "fastmail.fm",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
];

/// The address as verified, trimmed and lowercased, if it looks like one. Admin rights
/// compare this form.
pub fn exact_address(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.rsplit_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(char::is_whitespace)
        && !domain.contains('@');
    plausible.then_some(email)
}

/// The mailbox `email` delivers to, as far as its provider's rules are known (see the
/// module documentation).
pub fn normalize_email(email: &str) -> Option<String> {
    let email = exact_address(email)?;
    let (local, domain) = email.rsplit_once('@')?;
    let domain = match domain {
        "googlemail.com" => "gmail.com",
        other => other,
    };
    let mut local = local.to_string();
    if PLUS_TAG_DOMAINS.contains(&domain) {
        local = local.split('+').next().unwrap_or_default().to_string();
    }
    if domain == "gmail.com" {
        local = local.replace('.', "");
    }
    if local.is_empty() {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

/// Whether two verified addresses are provably one mailbox.
pub fn same_mailbox(a: &str, b: &str) -> bool {
    match (normalize_email(a), normalize_email(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// The domain part of an address, lowercase.
pub fn email_domain(email: &str) -> Option<String> {
    email
        .trim()
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_lowercase())
}

/// An address shown to someone who is not its owner: `c•••l@corp.example`. Enough for
/// the owner to recognise it, not enough for a stranger to learn it.
pub fn mask_email(email: &str) -> String {
    let Some((local, domain)) = email.trim().rsplit_once('@') else {
        return "•••".to_string();
    };
    let chars: Vec<char> = local.chars().collect();
    let masked = match chars.as_slice() {
        [] => String::new(),
        [only] => format!("{only}•••"),
        [first, .., last] => format!("{first}•••{last}"),
    };
    format!("{masked}@{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_everywhere_but_strips_tags_only_where_known() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        // An unknown provider: the tag is part of the address.
        assert_eq!(
            normalize_email("carol+work@corp.example").as_deref(),
            Some("carol+work@corp.example")
        );
        assert_eq!(
            normalize_email("a.da@example.com").as_deref(),
            Some("a.da@example.com")
        );
        for (tagged, plain) in [
            ("ada+ws@outlook.com", "ada@outlook.com"),
            ("ada+ws@icloud.com", "ada@icloud.com"),
            ("ada+ws@fastmail.com", "ada@fastmail.com"),
            ("ada+ws@proton.me", "ada@proton.me"),
        ] {
            assert_eq!(normalize_email(tagged).as_deref(), Some(plain), "{tagged}");
        }
        // Dots only matter nowhere but at Gmail.
        assert_eq!(
            normalize_email("a.da@outlook.com").as_deref(),
            Some("a.da@outlook.com")
        );
    }

    #[test]
    fn gmail_dots_tags_and_domain_are_one_mailbox() {
        assert_eq!(
            normalize_email("Jane.Doe+x@googlemail.com").as_deref(),
            Some("janedoe@gmail.com")
        );
        assert!(same_mailbox(
            "jane.doe@gmail.com",
            "JaneDoe+ws@googlemail.com"
        ));
        assert!(!same_mailbox(
            "carol@corp.example",
            "carol+work@corp.example"
        ));
    }

    #[test]
    fn exact_addresses_keep_tags_and_dots() {
        assert_eq!(
            exact_address(" Orga+X@Example.com").as_deref(),
            Some("orga+x@example.com")
        );
        assert_ne!(
            exact_address("orga+x@example.com"),
            exact_address("orga@example.com")
        );
    }

    #[test]
    fn refuses_non_addresses() {
        assert_eq!(normalize_email("nobody"), None);
        assert_eq!(normalize_email("@example.com"), None);
        assert_eq!(normalize_email("+tag@gmail.com"), None);
        assert_eq!(normalize_email("a@localhost"), None);
        assert_eq!(exact_address("a b@example.com"), None);
    }

    #[test]
    fn masks_keep_the_ends_and_the_domain() {
        assert_eq!(mask_email("carol@corp.example"), "c•••l@corp.example");
        assert_eq!(mask_email("c@corp.example"), "c•••@corp.example");
    }
}
