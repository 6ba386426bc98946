#!/usr/bin/env bash
# Prints the SQL that fills an empty, migrated Beacon database with a benchmark
# portfolio: PROGRAMMES programmes, REPORTS status reports and LEDGER ledger entries,
# with the yearly totals and envelope totals computed from the entries, as Beacon
# keeps them. Usage: data.sql.sh postgres|sqlite PROGRAMMES REPORTS LEDGER [AUDIT] [OWNERS] [RECENT]
# AUDIT audit entries are written without their hashes, as a release before the hash
# chain wrote them; Beacon seals them into the chain the next time it opens the database.
# OWNERS lead accounts own each programme (they cannot sign in: their password hashes
# are placeholders); with any, the database has users, so Beacon makes no first admin.
# RECENT=1 also gives every programme a report from the day before, repeating its
# rating, as in a register in use: no report is overdue, so an alert worker's first
# sweep has no reminders to write. (The REPORTS reports are all from 2020.)
# EFFECTIVE_DATES=1 (for a database migrated by a build that has them) dates each
# ledger entry's effect by the day it was recorded.
set -euo pipefail
backend=$1 programmes=$2 reports=$3 ledger=$4 audit=${5:-0} owners=${6:-0} recent=${7:-0}

if [ "$backend" = postgres ]; then
    series() { echo "generate_series(1, $1) AS s(i)"; }
    code="'bench-' || lpad(i::text, 5, '0')"
    at="timestamp '2020-01-01' + i * interval '1 minute'"
    day="date '2020-01-01' + (i % 2000)"
    day_of="CAST(recorded_at AS DATE)"
    yesterday="(now() AT TIME ZONE 'UTC') - interval '1 day'"
    from() { echo "FROM $(series "$1")"; }
    echo "BEGIN;"
else
    # SQLite: a recursive CTE counts.
    from() { echo "FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $1) SELECT i FROM c)"; }
    code="printf('bench-%05d', i)"
    at="datetime('2020-01-01', '+' || i || ' minutes')"
    day="date('2020-01-01', '+' || (i % 2000) || ' days')"
    day_of="date(recorded_at)"
    yesterday="strftime('%Y-%m-%d %H:%M:%f', 'now', '-1 day')"
    echo "PRAGMA synchronous = OFF; BEGIN;"
fi
effective_column="" effective_value=""
if [ "${EFFECTIVE_DATES:-0}" = 1 ]; then
    effective_column=", effective_on"
    if [ "$backend" = postgres ]; then effective_value=", CAST($at AS DATE)"; else effective_value=", date($at)"; fi
fi
rating="CASE i % 5 WHEN 0 THEN 'red' WHEN 1 THEN 'amber_red' WHEN 2 THEN 'amber' WHEN 3 THEN 'amber_green' ELSE 'green' END"

cat <<SQL
INSERT INTO programmes (code, name, description, capability_area, sponsor, lead_force_id, stage,
    start_date, planned_end_date, whole_life_cost_pence, current_rating, rating_since, version, created_at, updated_at)
SELECT $code, 'Benchmark programme ' || i, 'Generated for the benchmark', 'data-and-intelligence',
    CASE i % 3 WHEN 0 THEN 'Home Office' WHEN 1 THEN 'NPCC' ELSE 'Police Digital Service' END,
    NULL, 'delivery', NULL, NULL, i * 1000000, $rating, '2025-01-01 00:00:00', 1, '2025-01-01 00:00:00', '2025-01-01 00:00:00'
$(from "$programmes");

INSERT INTO users (email, password_hash, role, active, created_at, updated_at)
SELECT 'owner-' || i || '@bench.test', 'not-a-password-hash', 'lead', TRUE, '2025-01-01 00:00:00', '2025-01-01 00:00:00'
$(from "$((programmes * owners))")
WHERE $owners > 0;

INSERT INTO programme_owners (programme_id, user_id, added_at)
SELECT p.id, u.id, '2025-01-01 00:00:00'
FROM programmes p JOIN users u ON u.email LIKE 'owner-%@bench.test'
    AND (u.id - 1) / $((owners > 0 ? owners : 1)) = p.id - 1
WHERE $owners > 0;

INSERT INTO status_reports (programme_id, rating, rationale, period_end, reported_by, reported_at, source)
SELECT 1 + (i % $programmes), $rating, 'Generated report ' || i, $day, NULL, $at, 'benchmark'
$(from "$reports");

INSERT INTO status_reports (programme_id, rating, rationale, period_end, reported_by, reported_at, source)
SELECT p.id, p.current_rating, 'Generated recent report', '2026-09-30', NULL, $yesterday, 'benchmark'
FROM programmes p
WHERE $recent > 0;

INSERT INTO funding_streams (code, name, description, created_at)
SELECT 'bench-stream-' || i, 'Benchmark stream ' || i, '', '2025-01-01 00:00:00'
$(from 10);

INSERT INTO envelopes (stream_id, financial_year, amount_pence, allocated_pence, basis, updated_at)
SELECT s.id, 2015 + y.i, 1000000000000000, 0, 'benchmark', '2025-01-01 00:00:00'
FROM funding_streams s, ($(echo "SELECT i $(from 12)")) y;

INSERT INTO ledger_entries (stream_id, programme_id, financial_year, kind, amount_pence, reason, recorded_by, recorded_at$effective_column)
SELECT 1 + (i % 10), 1 + (i % $programmes), 2016 + (i % 11), 'allocation', 100 + (i % 1000), 'benchmark', NULL, $at$effective_value
$(from "$ledger");

INSERT INTO programme_year_totals (programme_id, financial_year, allocated_pence, spent_run_pence, spent_change_pence)
SELECT programme_id, financial_year, SUM(amount_pence), 0, 0 FROM ledger_entries GROUP BY programme_id, financial_year;

-- The day rows Beacon keeps for past dates: the running totals at the end of each day.
INSERT INTO programme_days (programme_id, financial_year, day, allocated_pence, spent_run_pence, spent_change_pence)
SELECT programme_id, financial_year, day,
    SUM(day_sum) OVER (PARTITION BY programme_id, financial_year ORDER BY day), 0, 0
FROM (SELECT programme_id, financial_year, $day_of AS day, SUM(amount_pence) AS day_sum
      FROM ledger_entries GROUP BY programme_id, financial_year, $day_of) AS daily;

INSERT INTO envelope_days (stream_id, financial_year, day, amount_pence, allocated_pence)
SELECT stream_id, financial_year, day, 1000000000000000,
    SUM(day_sum) OVER (PARTITION BY stream_id, financial_year ORDER BY day)
FROM (SELECT stream_id, financial_year, $day_of AS day, SUM(amount_pence) AS day_sum
      FROM ledger_entries GROUP BY stream_id, financial_year, $day_of) AS daily;

INSERT INTO audit_log (at, actor_id, actor, action, entity, entity_id, before, after)
SELECT $at, NULL, 'beacon benchmark', 'create', 'ledger_entry', '' || i, NULL,
    '{"id":' || i || ',"amount_pence":' || (100 + (i % 1000)) || ',"reason":"benchmark"}'
$(from "$audit")
WHERE $audit > 0;

UPDATE envelopes SET allocated_pence = (
    SELECT COALESCE(SUM(l.amount_pence), 0) FROM ledger_entries l
    WHERE l.stream_id = envelopes.stream_id AND l.financial_year = envelopes.financial_year);
COMMIT;
SQL
if [ "$backend" = postgres ]; then echo "ANALYZE;"; else echo "ANALYZE;"; fi
