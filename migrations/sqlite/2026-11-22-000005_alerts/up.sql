-- The alert outbox. A row is written in the same transaction as the event it tells
-- of (a status report, a ledger entry), so an alert is never lost and never sent for a
-- change that rolled back; workers deliver it later and record the outcome here.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The event and the recipient: one alert per event per recipient, whichever
    -- worker, retry or reminder sweep tries to write it again.
    unique_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('turned_red', 'left_red', 'report_overdue', 'funding_reduced')),
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    recipient TEXT NOT NULL,
    -- What the message says, as JSON, fixed when the event happened.
    details TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at TIMESTAMP NOT NULL,
    -- A worker's claim: no other worker takes the alert until the lease ends, so a
    -- worker that dies holding it delays it by at most one lease.
    lease_until TIMESTAMP,
    claimed_by TEXT,
    last_error TEXT,
    message_id TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);

-- Workers look for due pending alerts; the API lists by status and by programme.
CREATE INDEX alerts_due ON alerts (status, next_attempt_at, id);
CREATE INDEX alerts_programme ON alerts (programme_id, id);
