DROP INDEX spend_entries_programme_recorded;
DROP INDEX spend_entries_recorded;
DROP INDEX ledger_entries_stream_recorded;
DROP INDEX ledger_entries_programme_recorded;
DROP INDEX ledger_entries_recorded;
DROP TABLE envelope_changes;
