-- The audit trail becomes a hash chain: each entry carries its sequence number, the
-- previous entry's hash and its own (SHA-256 over a canonical serialisation, computed
-- by Beacon). Entries written before this migration are sealed by Beacon, in id
-- order, the first time it opens the database afterwards.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE hash IS NULL;

-- History is append-only: the database itself refuses to change or remove it, whoever
-- asks. The one exception is sealing an entry that has no hash yet (the upgrade above).
CREATE FUNCTION beacon_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Nested: only audit_log rows have a hash to look at.
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_log' THEN
        IF OLD.hash IS NULL THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION beacon_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_append_only();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION beacon_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_append_only();
CREATE TRIGGER spend_entries_append_only BEFORE UPDATE OR DELETE ON spend_entries
    FOR EACH ROW EXECUTE FUNCTION beacon_append_only();
CREATE TRIGGER spend_entries_no_truncate BEFORE TRUNCATE ON spend_entries
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_append_only();
CREATE TRIGGER status_reports_append_only BEFORE UPDATE OR DELETE ON status_reports
    FOR EACH ROW EXECUTE FUNCTION beacon_append_only();
CREATE TRIGGER status_reports_no_truncate BEFORE TRUNCATE ON status_reports
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_append_only();
