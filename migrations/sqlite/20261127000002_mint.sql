-- The mint (issue #4). Columns are added to the seed's table with their reasons.

-- added: a lease on a reserved row, so exactly one request mints its key. Taken with a
-- conditional UPDATE; only the holder of `mint_lease` may store the key. It expires, so a
-- process that died mid-mint does not block the row forever.
ALTER TABLE workshop_attendance ADD COLUMN mint_lease TEXT;
ALTER TABLE workshop_attendance ADD COLUMN mint_lease_until BIGINT;
-- added: how many times a key was (about to be) created for this row. Above one, an
-- earlier attempt may have left a key on OpenRouter, so its name is looked up first.
ALTER TABLE workshop_attendance ADD COLUMN mint_attempts BIGINT NOT NULL DEFAULT 0;
-- added: failed guardrail assignments, for the admin page and the retry backoff.
ALTER TABLE workshop_attendance ADD COLUMN bind_attempts BIGINT NOT NULL DEFAULT 0;
-- added: what the last usage sync learnt about the key besides its usage.
ALTER TABLE workshop_attendance ADD COLUMN limit_remaining_usd_micros BIGINT;
ALTER TABLE workshop_attendance ADD COLUMN key_disabled BIGINT CHECK (key_disabled IN (0, 1));

-- Background jobs that only one server instance may run at a time (the usage sync):
-- taken with a conditional upsert, held until `held_until`, remembered when last done.
CREATE TABLE background_leases (
    name          TEXT PRIMARY KEY NOT NULL,
    holder        TEXT NOT NULL,
    held_until    BIGINT NOT NULL,
    last_done_at  BIGINT
);
