//! Where to send the browser after sign-in: only a path on this site, never another
//! origin (no open redirects through `//evil.example` or `/\evil.example`).

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
        ] {
            assert_eq!(safe_next_path(Some(bad)), "/", "{bad:?}");
        }
    }
}
