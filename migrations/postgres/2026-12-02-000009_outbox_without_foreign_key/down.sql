ALTER TABLE alert_outbox
    ADD CONSTRAINT alert_outbox_programme_id_fkey FOREIGN KEY (programme_id) REFERENCES programmes (id);
