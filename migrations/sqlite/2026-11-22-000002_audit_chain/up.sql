-- The audit trail becomes a hash chain: each entry carries its sequence number, the
-- previous entry's hash and its own (SHA-256 over a canonical serialisation, computed
-- by Beacon). Entries written before this migration are sealed by Beacon, in id
-- order, the first time it opens the database afterwards.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE hash IS NULL;

-- History is append-only: the database refuses to change or remove it. The one
-- exception is sealing an entry that has no hash yet (the upgrade above).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is refused'); END;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: UPDATE is refused'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: DELETE is refused'); END;
CREATE TRIGGER spend_entries_no_update BEFORE UPDATE ON spend_entries
BEGIN SELECT RAISE(ABORT, 'spend_entries is append-only: UPDATE is refused'); END;
CREATE TRIGGER spend_entries_no_delete BEFORE DELETE ON spend_entries
BEGIN SELECT RAISE(ABORT, 'spend_entries is append-only: DELETE is refused'); END;
CREATE TRIGGER status_reports_no_update BEFORE UPDATE ON status_reports
BEGIN SELECT RAISE(ABORT, 'status_reports is append-only: UPDATE is refused'); END;
CREATE TRIGGER status_reports_no_delete BEFORE DELETE ON status_reports
BEGIN SELECT RAISE(ABORT, 'status_reports is append-only: DELETE is refused'); END;
