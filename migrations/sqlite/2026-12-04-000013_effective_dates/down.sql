ALTER TABLE ledger_entries DROP COLUMN effective_on;
ALTER TABLE spend_entries DROP COLUMN effective_on;
ALTER TABLE envelope_changes DROP COLUMN effective_on;
