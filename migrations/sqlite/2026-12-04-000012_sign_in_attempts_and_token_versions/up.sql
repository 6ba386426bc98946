-- Sign-in attempts, counted in the database before each password check so that
-- concurrent requests and several servers share one throttle; and a version per user
-- that a token carries, so that a password change or reset, a role change or a
-- deactivation ends the tokens issued before it.
-- Keep in step with migrations/postgres.

ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE sign_in_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    -- NULL while the password is being checked (counted as a failure until then).
    succeeded BOOLEAN
);

CREATE INDEX sign_in_attempts_by_account ON sign_in_attempts (account, started_at);
CREATE INDEX sign_in_attempts_by_time ON sign_in_attempts (started_at);
