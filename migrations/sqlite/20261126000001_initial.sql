-- The seed's two tables, names kept. Times are UTC unix seconds (BIGINT) and money is
-- integer micro-dollars (`*_usd_micros`), identical on SQLite and Postgres so one set of
-- queries serves both. Columns beyond the seed are marked "added" with their reason.

CREATE TABLE attendees (
    -- Provider-prefixed stable subject: `google:<sub>`, `github:<id>`, `demo:<email>`.
    user_id                     TEXT PRIMARY KEY NOT NULL,
    email                       TEXT NOT NULL,
    email_normalized            TEXT NOT NULL,
    display_name                TEXT,
    auth_provider               TEXT NOT NULL,
    marketing_opted_in          BIGINT NOT NULL DEFAULT 0 CHECK (marketing_opted_in IN (0, 1)),
    marketing_opted_in_at       BIGINT,
    marketing_opted_in_workshop TEXT,
    first_seen_at               BIGINT NOT NULL,
    last_seen_at                BIGINT NOT NULL
);
CREATE INDEX attendees_by_email_normalized ON attendees (email_normalized);

CREATE TABLE workshop_attendance (
    user_id                 TEXT NOT NULL REFERENCES attendees (user_id),
    workshop_slug           TEXT NOT NULL,
    -- added: the one-key-per-person rule holds across sign-ins with the same mailbox.
    email_normalized        TEXT NOT NULL,
    -- added: deterministic OpenRouter key name, so a lost mint can be found by name.
    key_name                TEXT NOT NULL UNIQUE,
    -- added: reserved (row written, no key yet) -> minted (key stored) -> bound (guardrail assigned).
    claim_status            TEXT NOT NULL CHECK (claim_status IN ('reserved', 'minted', 'bound')),
    or_key_hash             TEXT UNIQUE,
    or_key_plaintext        TEXT,
    key_label               TEXT,
    limit_usd_micros        BIGINT NOT NULL CHECK (limit_usd_micros > 0),
    expires_at              BIGINT NOT NULL,
    or_guardrail_id         TEXT,
    guardrail_attached_at   BIGINT,
    usage_usd_micros        BIGINT,
    usage_synced_at         BIGINT,
    -- added: why the last mint or binding attempt failed (shown to admins, no secrets).
    last_error              TEXT,
    attended_at             BIGINT NOT NULL,
    -- added: last change, for recovery of stale reservations.
    updated_at              BIGINT NOT NULL,
    PRIMARY KEY (user_id, workshop_slug),
    UNIQUE (workshop_slug, email_normalized),
    CHECK (claim_status = 'reserved' OR (or_key_hash IS NOT NULL AND or_key_plaintext IS NOT NULL))
);
CREATE INDEX workshop_attendance_by_status ON workshop_attendance (workshop_slug, claim_status);

-- added: one row per workshop, updated first in every claim transaction. Writing it takes
-- the workshop's write lock on both databases (row lock on Postgres, the database write
-- lock on SQLite), so cap checks and inserts for one workshop never interleave.
CREATE TABLE workshop_claim_locks (
    workshop_slug TEXT PRIMARY KEY NOT NULL,
    claims_made   BIGINT NOT NULL DEFAULT 0
);
