-- Every change to an envelope, append-only: the funding history lists them beside the
-- ledger and spend, and past dates are answered from them.
CREATE TABLE envelope_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id BIGINT NOT NULL,
    financial_year INTEGER NOT NULL,
    -- The envelope after the change, and the change itself (after less before).
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
    change_pence BIGINT NOT NULL,
    basis TEXT NOT NULL,
    recorded_by BIGINT REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    FOREIGN KEY (stream_id, financial_year) REFERENCES envelopes (stream_id, financial_year)
);
-- Envelopes set before this release: their amount as it stands, dated when last set.
-- Earlier values are in the audit trail.
INSERT INTO envelope_changes (stream_id, financial_year, amount_pence, change_pence, basis, recorded_by, recorded_at)
SELECT stream_id, financial_year, amount_pence, amount_pence, basis, NULL, updated_at
FROM envelopes ORDER BY updated_at, stream_id, financial_year;

-- The history is read in recorded order, whole or for one programme or stream.
CREATE INDEX envelope_changes_recorded ON envelope_changes (recorded_at, id);
CREATE INDEX envelope_changes_stream_recorded ON envelope_changes (stream_id, recorded_at, id);
CREATE INDEX ledger_entries_recorded ON ledger_entries (recorded_at, id);
CREATE INDEX ledger_entries_programme_recorded ON ledger_entries (programme_id, recorded_at, id);
CREATE INDEX ledger_entries_stream_recorded ON ledger_entries (stream_id, recorded_at, id);
CREATE INDEX spend_entries_recorded ON spend_entries (recorded_at, id);
CREATE INDEX spend_entries_programme_recorded ON spend_entries (programme_id, recorded_at, id);

CREATE TRIGGER envelope_changes_no_update BEFORE UPDATE ON envelope_changes
BEGIN SELECT RAISE(ABORT, 'envelope_changes is append-only: UPDATE is refused'); END;
CREATE TRIGGER envelope_changes_no_delete BEFORE DELETE ON envelope_changes
BEGIN SELECT RAISE(ABORT, 'envelope_changes is append-only: DELETE is refused'); END;
