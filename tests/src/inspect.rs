//! Reading the database behind the application's back, as a test or an auditor's
//! script would: counts, the audit trail's rows, the ledger's projections recomputed
//! from the entries, and undoing a migration.

use std::collections::BTreeMap;

use beacon_db::DbConnection;
use beacon_db::records::AuditEntry;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The rows of `table` that meet `condition` (SQL, written by the test).
pub fn count_where(conn: &mut DbConnection, table: &str, condition: &str) -> i64 {
    diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE {condition}"
    ))
    .get_result::<Count>(conn)
    .map(|c| c.n)
    .unwrap()
}

#[derive(diesel::QueryableByName)]
struct AuditLine {
    #[diesel(sql_type = Nullable<BigInt>)]
    seq: Option<i64>,
    #[diesel(sql_type = Timestamp)]
    at: NaiveDateTime,
    #[diesel(sql_type = Nullable<BigInt>)]
    actor_id: Option<i64>,
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    entity: String,
    #[diesel(sql_type = Text)]
    entity_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    before: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    after: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    prev_hash: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    hash: Option<String>,
}

fn audit_lines(conn: &mut DbConnection, rest: &str) -> Vec<AuditEntry> {
    let lines: Vec<AuditLine> = diesel::sql_query(format!(
        "SELECT seq, at, actor_id, actor, action, entity, entity_id, before, after, prev_hash, hash \
         FROM audit_log {rest}"
    ))
    .load(conn)
    .unwrap();
    lines
        .into_iter()
        .map(|l| AuditEntry {
            seq: l.seq,
            at: l.at,
            actor_id: l.actor_id,
            actor: l.actor,
            action: l.action,
            entity: l.entity,
            entity_id: l.entity_id,
            before: l.before,
            after: l.after,
            prev_hash: l.prev_hash,
            hash: l.hash,
        })
        .collect()
}

/// The audit entries about one record, oldest first, sealed or not.
pub fn audit_for(conn: &mut DbConnection, entity: &str, entity_id: &str) -> Vec<AuditEntry> {
    let quote = |text: &str| text.replace('\'', "''");
    audit_lines(
        conn,
        &format!(
            "WHERE entity = '{}' AND entity_id = '{}' ORDER BY id",
            quote(entity),
            quote(entity_id)
        ),
    )
}

/// The newest `limit` audit entries, newest first, sealed or not.
pub fn audit_latest(conn: &mut DbConnection, limit: i64) -> Vec<AuditEntry> {
    audit_lines(conn, &format!("ORDER BY id DESC LIMIT {limit}"))
}

/// How many rows the audit trail has.
pub fn audit_count(conn: &mut DbConnection) -> i64 {
    count_where(conn, "audit_log", "1 = 1")
}

/// How many alerts are in a status (`pending`, `sent`, `failed`).
pub fn alerts_in(conn: &mut DbConnection, status: &str) -> i64 {
    count_where(conn, "alerts", &format!("status = '{status}'"))
}

/// Undoes the latest migration; returns its version.
pub fn revert_last_migration(conn: &mut DbConnection) -> String {
    use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
    const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
    const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
    match conn {
        DbConnection::Postgres(pg) => pg.revert_last_migration(POSTGRES).unwrap().to_string(),
        DbConnection::Sqlite(sqlite) => sqlite.revert_last_migration(SQLITE).unwrap().to_string(),
    }
}

/// Reverts migrations, newest first, down to and including `version`.
pub fn revert_through(conn: &mut DbConnection, version: &str) {
    for _ in 0..100 {
        if revert_last_migration(conn) == version {
            return;
        }
    }
    panic!("migration {version} was never reverted");
}

/// A programme-year whose stored totals differ from the sums of its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub programme_id: i64,
    pub year: i32,
    /// Allocated, spent on run and spent on change, as stored and from the entries.
    pub stored: [i64; 3],
    pub from_entries: [i64; 3],
}

#[derive(diesel::QueryableByName)]
struct SummedRow {
    #[diesel(sql_type = BigInt)]
    programme_id: i64,
    #[diesel(sql_type = Integer)]
    financial_year: i32,
    #[diesel(sql_type = BigInt)]
    allocated_pence: i64,
    #[diesel(sql_type = BigInt)]
    spent_run_pence: i64,
    #[diesel(sql_type = BigInt)]
    spent_change_pence: i64,
}

/// Recomputes every programme-year from the ledger and spend entries and lists where
/// the stored totals disagree. Empty means the projection is faithful.
pub fn totals_mismatches(conn: &mut DbConnection) -> Vec<Mismatch> {
    // Each part sums to BIGINT explicitly: PostgreSQL's SUM(bigint) is NUMERIC.
    let summed: Vec<SummedRow> = diesel::sql_query(
        "SELECT programme_id, financial_year,
                CAST(SUM(allocated) AS BIGINT) AS allocated_pence,
                CAST(SUM(run) AS BIGINT) AS spent_run_pence,
                CAST(SUM(change) AS BIGINT) AS spent_change_pence
         FROM (
             SELECT programme_id, financial_year, amount_pence AS allocated, 0 AS run, 0 AS change
             FROM ledger_entries
             UNION ALL
             SELECT programme_id, financial_year, 0,
                    CASE WHEN category = 'run' THEN amount_pence ELSE 0 END,
                    CASE WHEN category = 'change' THEN amount_pence ELSE 0 END
             FROM spend_entries
         ) AS entries
         GROUP BY programme_id, financial_year",
    )
    .load(conn)
    .unwrap();
    let stored: Vec<SummedRow> = diesel::sql_query(
        "SELECT programme_id, financial_year, allocated_pence, spent_run_pence, spent_change_pence
         FROM programme_year_totals",
    )
    .load(conn)
    .unwrap();

    let mut expected: BTreeMap<(i64, i32), [i64; 3]> = summed
        .into_iter()
        .map(|s| {
            let sums = [s.allocated_pence, s.spent_run_pence, s.spent_change_pence];
            ((s.programme_id, s.financial_year), sums)
        })
        .collect();
    let mut found = Vec::new();
    for row in stored {
        let key = (row.programme_id, row.financial_year);
        let stored = [
            row.allocated_pence,
            row.spent_run_pence,
            row.spent_change_pence,
        ];
        let from_entries = expected.remove(&key).unwrap_or_default();
        if from_entries != stored {
            found.push(Mismatch {
                programme_id: key.0,
                year: key.1,
                stored,
                from_entries,
            });
        }
    }
    for ((programme_id, year), from_entries) in expected {
        found.push(Mismatch {
            programme_id,
            year,
            stored: [0; 3],
            from_entries,
        });
    }
    found
}

/// A day row that disagrees with the entries recorded up to the end of its day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayMismatch {
    pub table: &'static str,
    pub key: String,
    pub day: NaiveDate,
    pub stored: Vec<i64>,
    pub from_entries: Vec<i64>,
}

#[derive(diesel::QueryableByName)]
struct CheckedProgrammeDay {
    #[diesel(sql_type = BigInt)]
    programme_id: i64,
    #[diesel(sql_type = Integer)]
    financial_year: i32,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    allocated_pence: i64,
    #[diesel(sql_type = BigInt)]
    spent_run_pence: i64,
    #[diesel(sql_type = BigInt)]
    spent_change_pence: i64,
}

/// Recomputes every programme day row from the ledger and spend entries and lists where
/// they disagree. Empty means the projection is faithful.
pub fn day_mismatches(conn: &mut DbConnection) -> Vec<DayMismatch> {
    let stored: Vec<CheckedProgrammeDay> = diesel::sql_query(
        "SELECT programme_id, financial_year, day, allocated_pence, spent_run_pence, spent_change_pence
         FROM programme_days",
    )
    .load(conn)
    .unwrap();
    let mut expected = expected_days(conn);
    let mismatch =
        |(programme_id, year, day): (i64, i32, NaiveDate), stored, from_entries| DayMismatch {
            table: "programme_days",
            key: format!("programme {programme_id}, year {year}"),
            day,
            stored,
            from_entries,
        };
    let mut found = Vec::new();
    for row in stored {
        let stored = vec![
            row.allocated_pence,
            row.spent_run_pence,
            row.spent_change_pence,
        ];
        let key = (row.programme_id, row.financial_year, row.day);
        let from_entries = expected.remove(&key).map(Vec::from).unwrap_or_default();
        if from_entries != stored {
            found.push(mismatch(key, stored, from_entries));
        }
    }
    for (key, sums) in expected {
        found.push(mismatch(key, Vec::new(), Vec::from(sums)));
    }
    found
}

/// What each programme-year's day rows should hold: running sums of each day's ledger
/// and spend entries.
fn expected_days(conn: &mut DbConnection) -> BTreeMap<(i64, i32, NaiveDate), [i64; 3]> {
    let day_of = match conn {
        DbConnection::Postgres(_) => "CAST(recorded_at AS DATE)",
        DbConnection::Sqlite(_) => "date(recorded_at)",
    };
    let mut daily: Vec<CheckedProgrammeDay> = diesel::sql_query(format!(
        "SELECT programme_id, financial_year, day,
                CAST(SUM(allocated) AS BIGINT) AS allocated_pence,
                CAST(SUM(run) AS BIGINT) AS spent_run_pence,
                CAST(SUM(change) AS BIGINT) AS spent_change_pence
         FROM (
             SELECT programme_id, financial_year, {day_of} AS day,
                    amount_pence AS allocated, 0 AS run, 0 AS change
             FROM ledger_entries
             UNION ALL
             SELECT programme_id, financial_year, {day_of},
                    0, CASE WHEN category = 'run' THEN amount_pence ELSE 0 END,
                    CASE WHEN category = 'change' THEN amount_pence ELSE 0 END
             FROM spend_entries
         ) AS entries
         GROUP BY programme_id, financial_year, day"
    ))
    .load(conn)
    .unwrap();
    daily.sort_by_key(|d| (d.programme_id, d.financial_year, d.day));
    let mut expected = BTreeMap::new();
    let mut running: Option<((i64, i32), [i64; 3])> = None;
    for d in daily {
        let key = (d.programme_id, d.financial_year);
        let base = match running {
            Some((k, sums)) if k == key => sums,
            _ => [0; 3],
        };
        let sums = [
            base[0] + d.allocated_pence,
            base[1] + d.spent_run_pence,
            base[2] + d.spent_change_pence,
        ];
        expected.insert((d.programme_id, d.financial_year, d.day), sums);
        running = Some((key, sums));
    }
    expected
}
