-- Events write their alerts straight into `alerts`, one row per recipient, in the
-- event's own transaction; the per-event outbox goes. Rows still waiting in it are
-- filed first, as a worker would have filed them: one alert per recipient, under the
-- event's key and the lowercased address, due at once.
INSERT OR IGNORE INTO alerts
    (unique_key, kind, programme_id, recipient, details, status, attempts, next_attempt_at, created_at)
SELECT event.key_prefix || lower(recipient.value), event.kind, event.programme_id, recipient.value,
       event.details, 'pending', 0, event.created_at, event.created_at
FROM alert_outbox AS event, json_each(event.recipients) AS recipient
ORDER BY event.id, recipient.key;
DROP TABLE alert_outbox;
