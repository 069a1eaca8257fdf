-- Organisers top up a key in place (its OpenRouter `limit` raised). Each top-up is a row:
-- reserved before the OpenRouter call (so concurrent top-ups and claims never commit
-- more than the workshop's cap: claims count reserved top-ups as committed), applied
-- once OpenRouter has the new limit, or released when it refused. A reservation whose
-- call's outcome is unknown stays `reserved` until the sweep reads the key back from
-- OpenRouter and settles it. The rows are the audit trail: who, when, how much, for whom.
CREATE TABLE key_top_ups (
    id                   TEXT PRIMARY KEY NOT NULL,
    workshop_slug        TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    key_hash             TEXT NOT NULL,
    added_usd_micros     BIGINT NOT NULL CHECK (added_usd_micros > 0),
    limit_before_micros  BIGINT NOT NULL,
    limit_after_micros   BIGINT NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('reserved', 'applied', 'released')),
    topped_up_by         TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    settled_at           BIGINT
);
CREATE INDEX key_top_ups_by_row ON key_top_ups (workshop_slug, user_id, created_at);
CREATE INDEX key_top_ups_pending ON key_top_ups (state, created_at);

-- What all applied top-ups added to the row's key: shown to the attendee ("topped up by
-- the organiser") and in claims.csv.
ALTER TABLE workshop_attendance ADD COLUMN topped_up_usd_micros BIGINT NOT NULL DEFAULT 0;
