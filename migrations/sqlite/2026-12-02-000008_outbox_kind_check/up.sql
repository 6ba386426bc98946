-- The outbox's kind check as a chain of comparisons, which SQLite checks without
-- building a temporary table for each statement that writes a row. The rows and the
-- numbering carry over. (Migration 11 retires the outbox.)
CREATE TABLE alert_outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unique_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind = 'turned_red' OR kind = 'left_red' OR kind = 'report_overdue' OR kind = 'funding_reduced'),
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    recipient TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO alert_outbox_new SELECT * FROM alert_outbox;
DELETE FROM sqlite_sequence WHERE name = 'alert_outbox_new';
UPDATE sqlite_sequence SET name = 'alert_outbox_new' WHERE name = 'alert_outbox';
DROP TABLE alert_outbox;
ALTER TABLE alert_outbox_new RENAME TO alert_outbox;
