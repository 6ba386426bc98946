//! Helpers for Beacon's tests: a fresh database per test on either backend, and a
//! macro that runs one test body on both.

pub mod app;
pub mod browser;
pub mod inspect;
pub mod smtp;

use std::sync::atomic::{AtomicU32, Ordering};

use beacon_db::{DatabaseUrl, Pool, PooledConnection};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;

/// Where the PostgreSQL server for tests listens (trust auth, user `postgres`).
/// Override with `BEACON_TEST_POSTGRES`, without a database name.
pub fn postgres_server() -> String {
    std::env::var("BEACON_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// A database of its own for one test, migrated, removed when dropped.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub pool: Pool,
    /// The URL as a user would type it, for running the `beacon` command against it.
    pub url_text: String,
    _cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        name: String,
    },
    /// Another handle on a database some other `TestDb` owns and removes.
    Shared,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Cleanup::Postgres { name } = self {
            if let Ok(mut admin) =
                PgConnection::establish(&format!("{}/postgres", postgres_server()))
            {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A new SQLite file in a temporary folder.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("beacon.db");
        let url_text = path.to_str().unwrap().to_string();
        Self::open(url_text, Cleanup::Sqlite(dir))
    }

    /// The database at `url`, which something else made (a copy, a restore); left in
    /// place when dropped.
    pub fn existing(url: &str) -> Self {
        Self::open(url.to_string(), Cleanup::Shared)
    }

    /// The SQLite file at `path`, e.g. a backup; left in place when dropped.
    pub fn sqlite_file(path: &std::path::Path) -> Self {
        Self::open(path.to_str().unwrap().to_string(), Cleanup::Shared)
    }

    /// A new database on the PostgreSQL test server. Fails loudly if the server is
    /// not there: these tests are required, never skipped.
    pub fn postgres() -> Self {
        let name = Self::unmigrated_postgres_name();
        Self::open(
            format!("{}/{name}", postgres_server()),
            Cleanup::Postgres { name },
        )
    }

    fn unmigrated_postgres_name() -> String {
        let server = postgres_server();
        let mut admin =
            PgConnection::establish(&format!("{server}/postgres")).unwrap_or_else(|e| {
                panic!("PostgreSQL is required for the tests and is not reachable at {server}: {e}")
            });
        let name = format!(
            "beacon_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand::random::<u32>()
        );
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        name
    }

    fn open(url_text: String, cleanup: Cleanup) -> Self {
        let url = DatabaseUrl::parse(&url_text).unwrap();
        let pool = beacon_db::open(&url).unwrap();
        TestDb {
            url,
            pool,
            url_text,
            _cleanup: cleanup,
        }
    }

    /// The same database again, for a second server on it; the first handle still
    /// removes it, so drop this one first.
    pub fn share(&self) -> Self {
        TestDb {
            url: self.url.clone(),
            pool: self.pool.clone(),
            url_text: self.url_text.clone(),
            _cleanup: Cleanup::Shared,
        }
    }

    pub fn conn(&self) -> PooledConnection {
        self.pool.get().unwrap()
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.url, DatabaseUrl::Postgres(_))
    }

    /// Runs raw SQL behind the application's back, as a tamperer or a test would.
    pub fn execute(&self, sql: &str) {
        self.conn().batch_execute(sql).unwrap();
    }

    /// Runs SQL as someone with direct access to the database would, around the
    /// triggers that keep history append-only: on PostgreSQL a superuser session with
    /// triggers off; on SQLite the triggers are dropped first.
    pub fn tamper(&self, sql: &str) {
        if self.is_postgres() {
            self.execute(&format!(
                "SET session_replication_role = replica; {sql}; SET session_replication_role = origin;"
            ));
        } else {
            let mut conn = self.conn();
            #[derive(diesel::QueryableByName)]
            struct Name {
                #[diesel(sql_type = diesel::sql_types::Text)]
                name: String,
            }
            let triggers: Vec<Name> = diesel::RunQueryDsl::load(
                diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'trigger' AND (name LIKE '%no_update' OR name LIKE '%no_delete')"),
                &mut *conn,
            )
            .unwrap();
            for t in triggers {
                conn.batch_execute(&format!("DROP TRIGGER {}", t.name))
                    .unwrap();
            }
            conn.batch_execute(sql).unwrap();
        }
    }
}

impl TestDb {
    /// Moves everything recorded so far `days` days into the past, as if that many days
    /// had gone by since: entry and report times, registration times, and the days
    /// entries took effect on where that was the day they were recorded (a date a
    /// source gave stays). The day rows kept for past dates are then worked out again
    /// from the entries. Beacon only ever records at the present time, so this is how a
    /// test gets a past to ask about. The audit trail keeps its times, as its hashes
    /// cover them.
    pub fn age(&self, days: i64) {
        // A time or a date moved by a number of days (negative: earlier), and a time's
        // date, per backend.
        type Shift = fn(&str, i64) -> String;
        let (time_by, date_by, date_of): (Shift, Shift, fn(&str) -> String) = if self.is_postgres()
        {
            (
                |column, n| format!("{column} + interval '{n} days'"),
                |column, n| format!("{column} + {n}"),
                |column| format!("CAST({column} AS DATE)"),
            )
        } else {
            (
                |column, n| format!("strftime('%Y-%m-%d %H:%M:%f', {column}, '{n:+} days')"),
                |column, n| format!("date({column}, '{n:+} days')"),
                |column| format!("date({column})"),
            )
        };
        let time = |table: &str, column: &str, only: &str| {
            format!(
                "UPDATE {table} SET {column} = {}{only};",
                time_by(column, -days)
            )
        };
        let entries = |table: &str| {
            format!(
                "UPDATE {table} SET effective_on = {} WHERE effective_on = {}; {}",
                date_by("effective_on", -days),
                date_of("recorded_at"),
                time(table, "recorded_at", "")
            )
        };
        let shifts = [
            entries("ledger_entries"),
            entries("spend_entries"),
            entries("envelope_changes"),
            // Published ratings keep their assessment dates; only reports made here move.
            time("status_reports", "reported_at", " WHERE source = 'beacon'"),
            time("programmes", "created_at", ""),
            DAYS_FROM_ENTRIES.to_string(),
        ];
        self.tamper(&shifts.join("\n"));
    }

    /// The day rows for past dates as the entries give them, worked out afresh: what
    /// Beacon keeps as it goes must equal this.
    pub fn days_from_entries(&self) -> (Vec<DayRow>, Vec<DayRow>) {
        use diesel::RunQueryDsl;
        let mut conn = self.conn();
        let read =
            |conn: &mut beacon_db::DbConnection, table: &str, columns: &str| -> Vec<DayRow> {
                diesel::sql_query(format!("SELECT {columns} FROM {table} ORDER BY 1, 2, 3"))
                    .load(conn)
                    .unwrap()
            };
        let programmes = "programme_id AS id, financial_year, day, allocated_pence AS a, spent_run_pence AS b, spent_change_pence AS c";
        let envelopes = "stream_id AS id, financial_year, day, amount_pence AS a, allocated_pence AS b, CAST(0 AS BIGINT) AS c";
        let kept = (
            read(&mut conn, "programme_days", programmes),
            read(&mut conn, "envelope_days", envelopes),
        );
        drop(conn);
        self.tamper(DAYS_FROM_ENTRIES);
        let mut conn = self.conn();
        let worked_out = (
            read(&mut conn, "programme_days", programmes),
            read(&mut conn, "envelope_days", envelopes),
        );
        assert_eq!(
            kept, worked_out,
            "the day rows kept are those the entries give"
        );
        worked_out
    }
}

/// One row of `programme_days` or `envelope_days`, for comparing.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct DayRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub financial_year: i32,
    #[diesel(sql_type = diesel::sql_types::Date)]
    pub day: chrono::NaiveDate,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub a: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub b: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub c: i64,
}

/// Every day row written again from the entries: each programme-year's and envelope's
/// totals at the end of each day an entry for it took effect.
const DAYS_FROM_ENTRIES: &str = "
DELETE FROM programme_days;
INSERT INTO programme_days (programme_id, financial_year, day, allocated_pence, spent_run_pence, spent_change_pence)
SELECT d.programme_id, d.financial_year, d.day,
    COALESCE((SELECT SUM(l.amount_pence) FROM ledger_entries l
     WHERE l.programme_id = d.programme_id AND l.financial_year = d.financial_year
       AND l.effective_on <= d.day), 0),
    COALESCE((SELECT SUM(s.amount_pence) FROM spend_entries s
     WHERE s.programme_id = d.programme_id AND s.financial_year = d.financial_year
       AND s.category = 'run' AND s.effective_on <= d.day), 0),
    COALESCE((SELECT SUM(s.amount_pence) FROM spend_entries s
     WHERE s.programme_id = d.programme_id AND s.financial_year = d.financial_year
       AND s.category = 'change' AND s.effective_on <= d.day), 0)
FROM (
    SELECT programme_id, financial_year, effective_on AS day FROM ledger_entries
    UNION
    SELECT programme_id, financial_year, effective_on FROM spend_entries
) AS d;
DELETE FROM envelope_days;
INSERT INTO envelope_days (stream_id, financial_year, day, amount_pence, allocated_pence)
SELECT d.stream_id, d.financial_year, d.day,
    COALESCE((SELECT c.amount_pence FROM envelope_changes c
     WHERE c.stream_id = d.stream_id AND c.financial_year = d.financial_year
       AND c.effective_on <= d.day
     ORDER BY c.effective_on DESC, c.id DESC LIMIT 1), 0),
    COALESCE((SELECT SUM(l.amount_pence) FROM ledger_entries l
     WHERE l.stream_id = d.stream_id AND l.financial_year = d.financial_year
       AND l.effective_on <= d.day), 0)
FROM (
    SELECT stream_id, financial_year, effective_on AS day FROM envelope_changes
    UNION
    SELECT stream_id, financial_year, effective_on FROM ledger_entries
) AS d;
";

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Every table Beacon keeps, for checks that nothing changed.
pub const TABLES: [&str; 15] = [
    "forces",
    "users",
    "programmes",
    "programme_owners",
    "status_reports",
    "funding_streams",
    "envelopes",
    "envelope_changes",
    "ledger_entries",
    "spend_entries",
    "programme_year_totals",
    "programme_days",
    "envelope_days",
    "audit_log",
    "alerts",
];

/// Each table's row count, counted by SQL rather than through a repository.
pub fn row_counts(conn: &mut beacon_db::DbConnection) -> Vec<(&'static str, i64)> {
    use diesel::RunQueryDsl;
    TABLES
        .iter()
        .map(|table| {
            let count: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                .get_result(conn)
                .unwrap();
            (*table, count.n)
        })
        .collect()
}

/// A fresh, empty PostgreSQL database name and URL, not migrated; removed on drop.
pub struct EmptyPostgres {
    pub url: String,
    _cleanup: Cleanup,
}

impl EmptyPostgres {
    pub fn new() -> Self {
        let name = TestDb::unmigrated_postgres_name();
        EmptyPostgres {
            url: format!("{}/{name}", postgres_server()),
            _cleanup: Cleanup::Postgres { name },
        }
    }
}

impl Default for EmptyPostgres {
    fn default() -> Self {
        Self::new()
    }
}

/// Declares a test whose one body runs on SQLite and on PostgreSQL, each on a fresh
/// database: `both_backends!(fn name(db) { ... })` makes `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(#[$meta:meta])* fn $name:ident($db:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($db: &$crate::TestDb) $body

            #[test]
            $(#[$meta])*
            fn sqlite() {
                body(&$crate::TestDb::sqlite())
            }

            #[test]
            $(#[$meta])*
            fn postgres() {
                body(&$crate::TestDb::postgres())
            }
        }
    };
}

/// A CSV text as its header and rows.
pub fn csv_table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}
