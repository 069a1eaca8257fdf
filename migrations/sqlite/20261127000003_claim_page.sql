-- The claim page (issue 11).

-- added: "Sign in with Google and claim" is one click. The claim to make once the
-- provider sends the browser back, and the attendee's marketing choice made next to it,
-- travel with the sign-in attempt (written by a POST, never taken from a GET's URL).
ALTER TABLE login_attempts ADD COLUMN claim_slug TEXT;
ALTER TABLE login_attempts ADD COLUMN marketing_opt_in BIGINT NOT NULL DEFAULT 0;
