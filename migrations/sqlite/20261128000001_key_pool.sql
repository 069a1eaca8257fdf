-- The warm key pool (issue 13): keys minted, stored and bound before attendees arrive,
-- so a claim hands one out in its reservation transaction without calling OpenRouter.

-- One row per pool key not yet handed out. Stored right after `POST /keys` answers (so a
-- crash cannot lose the plaintext), ready once `guardrail_id` is set: only bound keys are
-- handed out. Handing one out deletes its row and writes the attendee's row in the same
-- transaction. `limit_usd_micros` and `expires_at` are the workshop's when the key was
-- made; a changed workshop file makes such keys stale, and they are deleted, not handed out.
CREATE TABLE key_pool (
    key_hash          TEXT PRIMARY KEY NOT NULL,
    workshop_slug     TEXT NOT NULL,
    key_name          TEXT NOT NULL UNIQUE,
    key_plaintext     TEXT NOT NULL,
    key_label         TEXT NOT NULL,
    limit_usd_micros  BIGINT NOT NULL CHECK (limit_usd_micros > 0),
    expires_at        BIGINT NOT NULL,
    guardrail_id      TEXT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX key_pool_by_workshop ON key_pool (workshop_slug, guardrail_id, created_at);

-- added: the pool name a handed-out key still carries on OpenRouter until the background
-- rename (`PATCH /keys/{hash}`) gives it the attendee's `key_name`; NULL once renamed
-- (and for every key minted directly).
ALTER TABLE workshop_attendance ADD COLUMN pool_key_name TEXT;

-- One row per workshop whose pool was ever tended.
CREATE TABLE key_pool_state (
    workshop_slug          TEXT PRIMARY KEY NOT NULL,
    -- 1 from just before pool keys are created until each of them is stored or known not
    -- to exist: while 1, a crash or a lost answer may have left a key on OpenRouter that
    -- the database does not hold, and the account is searched for it by name prefix.
    unsettled              BIGINT NOT NULL DEFAULT 0 CHECK (unsettled IN (0, 1)),
    -- The close: when, and how many unclaimed keys it deleted. NULL before.
    closed_at              BIGINT,
    keys_deleted_at_close  BIGINT
);
