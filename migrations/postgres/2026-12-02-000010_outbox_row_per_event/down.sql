-- Back to one row per recipient, numbered after the alerts: alerts took outbox ids.
COMMENT ON COLUMN alert_outbox.key_prefix IS NULL;
COMMENT ON COLUMN alert_outbox.recipients IS NULL;
ALTER TABLE alert_outbox RENAME COLUMN key_prefix TO unique_key;
ALTER TABLE alert_outbox RENAME COLUMN recipients TO recipient;
SELECT setval(pg_get_serial_sequence('alert_outbox', 'id'),
              GREATEST((SELECT MAX(id) FROM alerts), (SELECT MAX(id) FROM alert_outbox), 0) + 1, false);
WITH event AS (DELETE FROM alert_outbox RETURNING *)
INSERT INTO alert_outbox (unique_key, kind, programme_id, recipient, details, created_at)
SELECT event.unique_key || lower(recipient.value), event.kind, event.programme_id, recipient.value,
       event.details, event.created_at
FROM event, json_array_elements_text(event.recipient::json) WITH ORDINALITY AS recipient (value, n)
ORDER BY event.id, recipient.n;
