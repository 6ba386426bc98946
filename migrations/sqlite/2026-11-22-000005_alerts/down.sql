DROP INDEX alerts_programme;
DROP INDEX alerts_due;
DROP TABLE alerts;
