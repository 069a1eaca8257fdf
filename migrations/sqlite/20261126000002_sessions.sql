-- Sign-in state lives in the database so any instance can serve any request.

-- One row per signed-in browser. The cookie carries a random token; only its SHA-256 is
-- stored, so a database leak does not hand out sessions.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES attendees (user_id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- One row per sign-in in progress (between the redirect to the provider and its
-- callback), keyed by the SHA-256 of the `state` value that the browser's cookie and the
-- callback URL must both carry. Used once, then deleted; stale rows expire after minutes.
CREATE TABLE login_attempts (
    state_hash     TEXT PRIMARY KEY NOT NULL,
    provider       TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    nonce          TEXT,
    next_path      TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX login_attempts_by_age ON login_attempts (created_at);
