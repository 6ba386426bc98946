-- Where an event's alerts are written, in the event's own transaction: a table with no
-- index but its key, so that a status report pays for one more row and nothing else.
-- Workers (and readers of the alerts) file the rows into `alerts`, with its unique key
-- and indexes, keeping their ids. See db/src/alerts.rs.
CREATE TABLE alert_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unique_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('turned_red', 'left_red', 'report_overdue', 'funding_reduced')),
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    recipient TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- An alert keeps its outbox id, so the outbox counts on from the alerts already written.
INSERT INTO sqlite_sequence (name, seq) SELECT 'alert_outbox', seq FROM sqlite_sequence WHERE name = 'alerts';
