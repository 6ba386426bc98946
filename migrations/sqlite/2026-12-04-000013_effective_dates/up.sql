-- Effective dates. A ledger entry, spend entry or envelope change now carries the day
-- it takes effect (money decided, announced or spent) beside when Beacon recorded it.
-- Entries recorded before this took effect when they were recorded. The day tables
-- (envelope_days, programme_days) become keyed by effective day: a past date's money
-- is what had taken effect by then, as recorded now.
-- Keep in step with migrations/postgres. (SQLite adds a NOT NULL column only with a
-- default; Beacon always writes the date.)

ALTER TABLE ledger_entries ADD COLUMN effective_on DATE NOT NULL DEFAULT '1970-01-01';
ALTER TABLE spend_entries ADD COLUMN effective_on DATE NOT NULL DEFAULT '1970-01-01';
ALTER TABLE envelope_changes ADD COLUMN effective_on DATE NOT NULL DEFAULT '1970-01-01';

-- History is append-only; this once, its rows gain the date they already had.
DROP TRIGGER ledger_entries_no_update;
DROP TRIGGER spend_entries_no_update;
DROP TRIGGER envelope_changes_no_update;
UPDATE ledger_entries SET effective_on = date(recorded_at);
UPDATE spend_entries SET effective_on = date(recorded_at);
UPDATE envelope_changes SET effective_on = date(recorded_at);
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: UPDATE is refused'); END;
CREATE TRIGGER spend_entries_no_update BEFORE UPDATE ON spend_entries
BEGIN SELECT RAISE(ABORT, 'spend_entries is append-only: UPDATE is refused'); END;
CREATE TRIGGER envelope_changes_no_update BEFORE UPDATE ON envelope_changes
BEGIN SELECT RAISE(ABORT, 'envelope_changes is append-only: UPDATE is refused'); END;
