-- Past dates. The envelopes and programme_year_totals rows as they stood at the end of
-- each (UTC) day on which they changed, written in the same transaction as the change.
-- Entries are always recorded at the present time, so a day's row is final once the day
-- is over. A past date's answer is the latest row on or before it: one index seek per
-- programme or envelope, however long the ledger grows. The entries stay the truth;
-- these are their projection, checked against them like the yearly totals.
CREATE TABLE envelope_days (
    stream_id BIGINT NOT NULL,
    financial_year INTEGER NOT NULL,
    day DATE NOT NULL,
    amount_pence BIGINT NOT NULL,
    allocated_pence BIGINT NOT NULL,
    PRIMARY KEY (stream_id, financial_year, day),
    FOREIGN KEY (stream_id, financial_year) REFERENCES envelopes (stream_id, financial_year)
);

CREATE TABLE programme_days (
    programme_id BIGINT NOT NULL REFERENCES programmes (id),
    financial_year INTEGER NOT NULL,
    day DATE NOT NULL,
    allocated_pence BIGINT NOT NULL,
    spent_run_pence BIGINT NOT NULL,
    spent_change_pence BIGINT NOT NULL,
    PRIMARY KEY (programme_id, financial_year, day)
);

-- What was recorded before this release, day by day.
INSERT INTO envelope_days (stream_id, financial_year, day, amount_pence, allocated_pence)
SELECT d.stream_id, d.financial_year, d.day,
    (SELECT c.amount_pence FROM envelope_changes c
     WHERE c.stream_id = d.stream_id AND c.financial_year = d.financial_year
       AND CAST(c.recorded_at AS DATE) <= d.day
     ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1),
    COALESCE((SELECT CAST(SUM(l.amount_pence) AS BIGINT) FROM ledger_entries l
     WHERE l.stream_id = d.stream_id AND l.financial_year = d.financial_year
       AND CAST(l.recorded_at AS DATE) <= d.day), 0)
FROM (
    SELECT stream_id, financial_year, CAST(recorded_at AS DATE) AS day FROM envelope_changes
    UNION
    SELECT stream_id, financial_year, CAST(recorded_at AS DATE) FROM ledger_entries
) AS d;

INSERT INTO programme_days (programme_id, financial_year, day, allocated_pence, spent_run_pence, spent_change_pence)
SELECT d.programme_id, d.financial_year, d.day,
    COALESCE((SELECT CAST(SUM(l.amount_pence) AS BIGINT) FROM ledger_entries l
     WHERE l.programme_id = d.programme_id AND l.financial_year = d.financial_year
       AND CAST(l.recorded_at AS DATE) <= d.day), 0),
    COALESCE((SELECT CAST(SUM(s.amount_pence) AS BIGINT) FROM spend_entries s
     WHERE s.programme_id = d.programme_id AND s.financial_year = d.financial_year
       AND s.category = 'run' AND CAST(s.recorded_at AS DATE) <= d.day), 0),
    COALESCE((SELECT CAST(SUM(s.amount_pence) AS BIGINT) FROM spend_entries s
     WHERE s.programme_id = d.programme_id AND s.financial_year = d.financial_year
       AND s.category = 'change' AND CAST(s.recorded_at AS DATE) <= d.day), 0)
FROM (
    SELECT programme_id, financial_year, CAST(recorded_at AS DATE) AS day FROM ledger_entries
    UNION
    SELECT programme_id, financial_year, CAST(recorded_at AS DATE) FROM spend_entries
) AS d;

-- A programme's rating on a past date started when the last report with another rating
-- was followed by one with this rating: one seek per rating through this index.
CREATE INDEX status_reports_programme_rating ON status_reports (programme_id, rating, reported_at);

-- The register on a past date is read back from the programme and ownership entries of
-- the audit trail: a small part of it, found through this index alone.
CREATE INDEX audit_log_register ON audit_log (at) WHERE entity IN ('programme', 'programme_owner');

-- Cuts: a withdrawal made by lowering an envelope points at that envelope change, so a
-- programme's funding shortfall for a year is the sum of such withdrawals.
ALTER TABLE ledger_entries ADD COLUMN envelope_change_id BIGINT REFERENCES envelope_changes (id);
CREATE INDEX ledger_entries_cuts ON ledger_entries (programme_id, financial_year)
    WHERE envelope_change_id IS NOT NULL;
