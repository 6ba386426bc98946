-- One outbox row per event, naming its recipients, instead of one row per recipient: an
-- event's transaction (a status report's holds its programme's lock) writes one row,
-- one index entry and its details once, whatever the number of owners. Workers file
-- the row as one alert per recipient, each under its unique key (the event and the
-- lowercased address), as before. Rows waiting now carry over, each an event with one
-- recipient. See db/src/alerts.rs.
ALTER TABLE alert_outbox RENAME COLUMN unique_key TO key_prefix;
ALTER TABLE alert_outbox RENAME COLUMN recipient TO recipients;
UPDATE alert_outbox
SET key_prefix = left(key_prefix, length(key_prefix) - length(recipients)),
    recipients = json_build_array(recipients)::text;
COMMENT ON COLUMN alert_outbox.key_prefix IS 'The event: its kind and a key naming it, ending in '':''. Each recipient''s alert is filed under this followed by the lowercased address.';
COMMENT ON COLUMN alert_outbox.recipients IS 'The recipients'' addresses, as a JSON array.';

-- Alerts now number themselves instead of taking outbox ids: on from the last one.
SELECT setval(pg_get_serial_sequence('alerts', 'id'), COALESCE((SELECT MAX(id) FROM alerts), 0) + 1, false);
