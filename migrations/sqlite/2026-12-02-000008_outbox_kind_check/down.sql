CREATE TABLE alert_outbox_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unique_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('turned_red', 'left_red', 'report_overdue', 'funding_reduced')),
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    recipient TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO alert_outbox_old SELECT * FROM alert_outbox;
DELETE FROM sqlite_sequence WHERE name = 'alert_outbox_old';
UPDATE sqlite_sequence SET name = 'alert_outbox_old' WHERE name = 'alert_outbox';
DROP TABLE alert_outbox;
ALTER TABLE alert_outbox_old RENAME TO alert_outbox;
