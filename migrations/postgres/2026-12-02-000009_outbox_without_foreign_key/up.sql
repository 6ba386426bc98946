-- The outbox without its foreign key. PostgreSQL checks a foreign key with a query of
-- its own for every row written, and here every row is written inside the transaction
-- of the event it tells of (a status report, a ledger entry), holding the programme's
-- lock: a third or more of what the outbox rows add to a report on PostgreSQL (README,
-- "Alerts and the status report"). The check guarded nothing: each row's programme is
-- one its transaction has just read, programmes are never deleted, and filing the row
-- into `alerts` checks the same key again. SQLite checks a key in-process, against an
-- index it has open already, so its outbox keeps it; the version exists on both
-- backends to keep them in step.
ALTER TABLE alert_outbox DROP CONSTRAINT alert_outbox_programme_id_fkey;
