-- The OpenRouter guardrail of each workshop (`workshop-<slug>`). Guardrail names are not
-- unique on OpenRouter, so the id is remembered here once found or created, and the
-- settings we last sent are kept to tell a changed workshop file from OpenRouter
-- returning canonical model slugs.
CREATE TABLE workshop_guardrails (
    workshop_slug  TEXT PRIMARY KEY NOT NULL,
    guardrail_id   TEXT NOT NULL,
    settings_sent  TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);
