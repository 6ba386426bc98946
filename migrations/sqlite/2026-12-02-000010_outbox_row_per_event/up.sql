-- One outbox row per event, naming its recipients, instead of one row per recipient: an
-- event's transaction (a status report's holds SQLite's one write lock) writes one row
-- and its details once, whatever the number of owners. Workers file the row as one
-- alert per recipient, each under its unique key (the event and the lowercased
-- address), as before. Alerts now number themselves instead of taking outbox ids, so
-- the outbox needs no AUTOINCREMENT, which updates sqlite_sequence at every insert; and
-- no foreign key, for the reasons PostgreSQL's outbox dropped it in migration 9 (every
-- row's programme is one Beacon has just read, and filing checks the key again). Rows
-- waiting now carry over, each an event with one recipient. See db/src/alerts.rs.
CREATE TABLE alert_outbox_new (
    id INTEGER PRIMARY KEY,
    -- The event: its kind and a key naming it, ending in ':'. Each recipient's alert is
    -- filed under this followed by the lowercased address.
    key_prefix TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind = 'turned_red' OR kind = 'left_red' OR kind = 'report_overdue' OR kind = 'funding_reduced'),
    programme_id BIGINT NOT NULL,
    -- The recipients' addresses, as a JSON array.
    recipients TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO alert_outbox_new (id, key_prefix, kind, programme_id, recipients, details, created_at)
SELECT id, substr(unique_key, 1, length(unique_key) - length(recipient)), kind, programme_id,
       json_array(recipient), details, created_at
FROM alert_outbox;
DROP TABLE alert_outbox;
ALTER TABLE alert_outbox_new RENAME TO alert_outbox;
