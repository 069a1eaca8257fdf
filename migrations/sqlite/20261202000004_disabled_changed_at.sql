-- When an organiser last disabled or enabled the row's key. A usage sync's listing of
-- OpenRouter's keys can be older than that change (it was asked for before the click
-- and answered after): such a listing leaves the row's disabled state alone, so a sync
-- never flips back what an organiser just did; the next sync brings OpenRouter's.
ALTER TABLE workshop_attendance ADD COLUMN disabled_changed_at BIGINT;
