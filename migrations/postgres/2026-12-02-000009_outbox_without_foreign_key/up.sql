-- The outbox without its foreign key: every row's programme is one Beacon has just read
-- inside the same transaction, programmes are never deleted, and filing the row into
-- `alerts` checked the same key again, so the check per row guarded nothing. SQLite's
-- outbox kept it; the version exists on both backends to keep them in step. (Migration
-- 11 retires the outbox.)
ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_programme_id_fkey;
