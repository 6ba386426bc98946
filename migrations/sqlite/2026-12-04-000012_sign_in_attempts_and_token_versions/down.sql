DROP TABLE sign_in_attempts;
ALTER TABLE users DROP COLUMN token_version;
