-- Back to one row per recipient, numbered after the alerts: alerts took outbox ids.
CREATE TABLE alert_outbox_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unique_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind = 'turned_red' OR kind = 'left_red' OR kind = 'report_overdue' OR kind = 'funding_reduced'),
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    recipient TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO sqlite_sequence (name, seq) SELECT 'alert_outbox_old', COALESCE(MAX(id), 0) FROM alerts;
INSERT INTO alert_outbox_old (unique_key, kind, programme_id, recipient, details, created_at)
SELECT event.key_prefix || lower(recipient.value), event.kind, event.programme_id, recipient.value,
       event.details, event.created_at
FROM alert_outbox AS event, json_each(event.recipients) AS recipient
ORDER BY event.id, recipient.key;
DROP TABLE alert_outbox;
ALTER TABLE alert_outbox_old RENAME TO alert_outbox;
