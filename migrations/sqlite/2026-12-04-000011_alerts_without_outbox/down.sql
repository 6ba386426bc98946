-- The per-event outbox again, empty: every alert written so far is in `alerts`.
CREATE TABLE alert_outbox (
    id INTEGER PRIMARY KEY,
    key_prefix TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind = 'turned_red' OR kind = 'left_red' OR kind = 'report_overdue' OR kind = 'funding_reduced'),
    programme_id BIGINT NOT NULL,
    recipients TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
