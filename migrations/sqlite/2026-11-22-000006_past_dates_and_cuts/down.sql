DROP INDEX audit_log_register;
DROP INDEX status_reports_programme_rating;
DROP INDEX ledger_entries_cuts;
ALTER TABLE ledger_entries DROP COLUMN envelope_change_id;
DROP TABLE programme_days;
DROP TABLE envelope_days;
