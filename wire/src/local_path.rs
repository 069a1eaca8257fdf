//! The one safe-local-path function: every `href`, form `action` or redirect built from
//! input (a `next` query parameter, a form field) goes through [`safe_next_path`], on the
//! server and in the hydrated browser alike. Only a path on this site passes — never
//! another origin (`//evil.example`, `/\evil.example`), never a `javascript:` URL, never
//! back into the sign-in machinery; anything else becomes `/`.

pub fn safe_next_path(raw: Option<&str>) -> String {
    let Some(path) = raw.map(str::trim) else {
        return "/".to_string();
    };
    let acceptable = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && path.len() <= 512
        && !path.chars().any(|c| c.is_control() || c == '\\')
        // Never loop back into the sign-in machinery.
        && !path.starts_with("/auth/");
    if acceptable {
        path.to_string()
    } else {
        "/".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next_path;

    #[test]
    fn keeps_local_paths() {
        assert_eq!(safe_next_path(Some("/w/agents?x=1")), "/w/agents?x=1");
        assert_eq!(safe_next_path(None), "/");
    }

    #[test]
    fn refuses_other_origins_and_tricks() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
            "/auth/signout",
            "",
            "javascript:alert(document.cookie)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
        ] {
            assert_eq!(safe_next_path(Some(bad)), "/", "{bad:?}");
        }
    }
}
