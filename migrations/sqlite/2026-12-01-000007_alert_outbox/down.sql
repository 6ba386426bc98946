DROP TABLE alert_outbox;
