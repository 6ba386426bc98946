-- SQLite's outbox check is written out as comparisons in this version (see the SQLite
-- migration of the same name); PostgreSQL checks `kind IN (…)` at no extra cost, so
-- its table stays as it is. The version exists on both backends to keep them in step.
SELECT 1;
