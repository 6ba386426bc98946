-- Effective dates. A ledger entry, spend entry or envelope change now carries the day
-- it takes effect (money decided, announced or spent) beside when Beacon recorded it.
-- Entries recorded before this took effect when they were recorded. The day tables
-- (envelope_days, programme_days) become keyed by effective day: a past date's money
-- is what had taken effect by then, as recorded now.
-- Keep in step with migrations/sqlite.

ALTER TABLE ledger_entries ADD COLUMN effective_on DATE;
ALTER TABLE spend_entries ADD COLUMN effective_on DATE;
ALTER TABLE envelope_changes ADD COLUMN effective_on DATE;

-- History is append-only; this once, its rows gain the date they already had.
ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
ALTER TABLE spend_entries DISABLE TRIGGER spend_entries_append_only;
ALTER TABLE envelope_changes DISABLE TRIGGER envelope_changes_append_only;
UPDATE ledger_entries SET effective_on = CAST(recorded_at AS DATE);
UPDATE spend_entries SET effective_on = CAST(recorded_at AS DATE);
UPDATE envelope_changes SET effective_on = CAST(recorded_at AS DATE);
ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only;
ALTER TABLE spend_entries ENABLE TRIGGER spend_entries_append_only;
ALTER TABLE envelope_changes ENABLE TRIGGER envelope_changes_append_only;

ALTER TABLE ledger_entries ALTER COLUMN effective_on SET NOT NULL;
ALTER TABLE spend_entries ALTER COLUMN effective_on SET NOT NULL;
ALTER TABLE envelope_changes ALTER COLUMN effective_on SET NOT NULL;
