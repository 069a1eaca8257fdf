-- Secrets the server makes for itself and every instance must share: the key that seals
-- the sign-in cookie (the sign-in in progress travels in the browser's cookie, sealed,
-- instead of in a table anyone can fill). Made by the first instance that starts; never
-- leaves the server.
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- `login_attempts` is no longer written (sign-ins in progress live in the sealed
-- cookie). It stays for the instances of the previous version during a rolling deploy;
-- a later migration drops it.
