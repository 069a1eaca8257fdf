//! The certified `oidc-provider` (npm) on localhost, standing in for Google. It lives in
//! `end2end/peers/oidc-provider.mjs` and is shared with the browser tests.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CLIENT_ID: &str = "wkm-test-client";
pub const CLIENT_SECRET: &str = "wkm-test-secret-not-real";

pub struct OidcPeer {
    pub issuer: String,
    _child: Child,
}

impl OidcPeer {
    /// Starts the provider with our callback URL registered. `rogue_jwks` makes it
    /// publish a key other than the one it signs with.
    pub async fn start(redirect_uri: &str, rogue_jwks: bool) -> OidcPeer {
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/peers/oidc-provider.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .env("PORT", "0")
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env("REDIRECT_URIS", redirect_uri)
            .env("ROGUE_JWKS", if rogue_jwks { "1" } else { "0" })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs end2end/peers/oidc-provider.mjs (run `make tools` first)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the OIDC provider starts within 20 s")
            .unwrap()
            .expect("the OIDC provider prints `ready <issuer>`");
        let issuer = ready
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("unexpected first line from the OIDC provider: {ready}"))
            .to_string();
        // Keep reading: a closed pipe would kill the provider at its next write (EPIPE).
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        OidcPeer {
            issuer,
            _child: child,
        }
    }
}
