//! Copying a whole register into an empty database, either way between SQLite and
//! PostgreSQL: every table, keeping ids, times and the audit chain exactly, read from
//! the source in one consistent snapshot.
//!
//! Rows travel as JSON objects, which each database writes and reads itself
//! (`row_to_json` / `json_populate_record` on PostgreSQL, `json_object` /
//! `json_extract` on SQLite), so one copier serves every table without restating its
//! columns here.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::connection::DbConnection;
use crate::error::DbError;

/// Every table, each after those it refers to.
pub const TABLES: [&str; 16] = [
    "forces",
    "users",
    "sign_in_attempts",
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

/// Rows read and written at a time.
const BATCH: i64 = 5_000;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    row: String,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    key: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many rows `table` holds.
pub fn count(conn: &mut DbConnection, table: &str) -> Result<i64, DbError> {
    let count: Count =
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result(conn)?;
    Ok(count.n)
}

/// The first table that holds any row, if one does.
pub fn first_with_rows(conn: &mut DbConnection) -> Result<Option<&'static str>, DbError> {
    for table in TABLES {
        if count(conn, table)? > 0 {
            return Ok(Some(table));
        }
    }
    Ok(None)
}

/// Copies every table from `from` into `to`, which must be migrated and empty, calling
/// `progress` with each table, the rows copied so far and its total. The source is read
/// in one snapshot (a read transaction); each table is written in batches.
pub fn all(
    from: &mut DbConnection,
    to: &mut DbConnection,
    progress: &mut dyn FnMut(&str, i64, i64),
) -> Result<(), DbError> {
    snapshot(from, true)?;
    let copied = TABLES
        .iter()
        .try_for_each(|table| table_rows(from, to, table, progress));
    snapshot(from, false)?;
    copied?;
    if let DbConnection::Postgres(_) = to {
        continue_ids(to)?;
    }
    Ok(())
}

/// Begins (or ends) the source's read transaction: on PostgreSQL a repeatable read,
/// which sees one snapshot throughout; on SQLite a transaction whose first read fixes
/// what it sees.
fn snapshot(conn: &mut DbConnection, begin: bool) -> Result<(), DbError> {
    let sql = match (&*conn, begin) {
        (DbConnection::Postgres(_), true) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        (DbConnection::Sqlite(_), true) => "BEGIN",
        (_, false) => "COMMIT",
    };
    conn.batch_execute(sql)?;
    Ok(())
}

fn table_rows(
    from: &mut DbConnection,
    to: &mut DbConnection,
    table: &str,
    progress: &mut dyn FnMut(&str, i64, i64),
) -> Result<(), DbError> {
    let columns = columns(to, table)?;
    let total = count(from, table)?;
    let read = read_sql(from, table, &columns);
    let write = write_sql(to, table, &columns);
    let mut done = 0;
    progress(table, done, total);
    while done < total {
        let rows: Vec<Row> =
            diesel::sql_query(format!("{read} LIMIT {BATCH} OFFSET {done}")).load(from)?;
        if rows.is_empty() {
            break;
        }
        crate::connection::write_transaction(to, |tx| {
            for row in &rows {
                diesel::sql_query(&write)
                    .bind::<Text, _>(&row.row)
                    .execute(&mut **tx)?;
            }
            Ok::<_, DbError>(())
        })?;
        done += rows.len() as i64;
        progress(table, done, total);
    }
    Ok(())
}

/// A table's columns in order, with their declared types and whether each is part of
/// the primary key, as the (freshly migrated) target has them.
fn columns(conn: &mut DbConnection, table: &str) -> Result<Vec<Column>, DbError> {
    let sql = match conn {
        DbConnection::Postgres(_) => {
            "SELECT c.column_name AS name, c.data_type AS kind,
                    CAST(COUNT(k.column_name) AS BIGINT) AS key
             FROM information_schema.columns c
             LEFT JOIN information_schema.table_constraints t
               ON t.table_name = c.table_name AND t.table_schema = c.table_schema
              AND t.constraint_type = 'PRIMARY KEY'
             LEFT JOIN information_schema.key_column_usage k
               ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema
              AND k.column_name = c.column_name
             WHERE c.table_name = $1 AND c.table_schema = current_schema()
             GROUP BY c.column_name, c.data_type, c.ordinal_position
             ORDER BY c.ordinal_position"
        }
        DbConnection::Sqlite(_) => {
            "SELECT name, type AS kind, CAST(pk AS BIGINT) AS key
             FROM pragma_table_info($1) ORDER BY cid"
        }
    };
    Ok(diesel::sql_query(sql).bind::<Text, _>(table).load(conn)?)
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Reads the table's rows as JSON objects, in primary-key order.
fn read_sql(conn: &DbConnection, table: &str, columns: &[Column]) -> String {
    let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
    let keys: Vec<String> = columns
        .iter()
        .filter(|c| c.key > 0)
        .map(|c| quoted(&c.name))
        .collect();
    let order = if keys.is_empty() { names.clone() } else { keys };
    match conn {
        DbConnection::Postgres(_) => format!(
            "SELECT CAST(row_to_json(t) AS TEXT) AS row FROM (SELECT {} FROM {table} ORDER BY {}) AS t",
            names.join(", "),
            order.join(", ")
        ),
        DbConnection::Sqlite(_) => {
            let pairs: Vec<String> = columns
                .iter()
                .map(|c| format!("'{}', {}", c.name, quoted(&c.name)))
                .collect();
            format!(
                "SELECT json_object({}) AS row FROM {table} ORDER BY {}",
                pairs.join(", "),
                order.join(", ")
            )
        }
    }
}

/// Writes one row given as a JSON object.
fn write_sql(conn: &DbConnection, table: &str, columns: &[Column]) -> String {
    match conn {
        DbConnection::Postgres(_) => format!(
            "INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, CAST($1 AS JSON))"
        ),
        DbConnection::Sqlite(_) => {
            let names: Vec<String> = columns.iter().map(|c| quoted(&c.name)).collect();
            let values: Vec<String> = columns
                .iter()
                .map(|c| {
                    let value = format!("json_extract($1, '$.\"{}\"')", c.name);
                    // PostgreSQL writes times with a T; SQLite keeps them with a space,
                    // and compares them as text.
                    if c.kind.eq_ignore_ascii_case("TIMESTAMP") {
                        format!("replace({value}, 'T', ' ')")
                    } else {
                        value
                    }
                })
                .collect();
            format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                values.join(", ")
            )
        }
    }
}

/// Sets each PostgreSQL id sequence past the ids copied, so the next row written
/// gets a new one.
fn continue_ids(conn: &mut DbConnection) -> Result<(), DbError> {
    const NUMBERED: [&str; 10] = [
        "users",
        "sign_in_attempts",
        "programmes",
        "status_reports",
        "funding_streams",
        "envelope_changes",
        "ledger_entries",
        "spend_entries",
        "audit_log",
        "alerts",
    ];
    let mut sql = String::new();
    for table in NUMBERED {
        sql.push_str(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table};"
        ));
    }
    conn.batch_execute(&sql)?;
    Ok(())
}
