-- PostgreSQL's outbox drops its foreign key in this version (see the PostgreSQL
-- migration of the same name): there a key is checked by a query per row. SQLite checks
-- it in-process against an index it has open, so its outbox keeps the key. The version
-- exists on both backends to keep them in step.
SELECT 1;
