-- Which version of each workshop file the running instances carry, for rolling deploys:
-- old and new instances run side by side for a while, and the work that depends on the
-- file (filling the warm pool with keys of its limit and expiry, sending its models and
-- cap to the guardrail) is done only by instances carrying the newest version, so two
-- versions never undo each other. `digest` is the SHA-256 of the file; a version is
-- newer when an instance carrying it started later (`registered_at`).
CREATE TABLE workshop_versions (
    workshop_slug  TEXT NOT NULL,
    digest         TEXT NOT NULL,
    registered_at  BIGINT NOT NULL,
    PRIMARY KEY (workshop_slug, digest)
);
