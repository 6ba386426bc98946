//! Money as it stood at the end of a past day.
//!
//! Each change to an envelope or to a programme's yearly totals also writes that row as
//! it now stands into `envelope_days` / `programme_days`, keyed by today's (UTC) date, in
//! the same transaction. Entries are only ever recorded at the present time, so once a
//! day is over its rows never change again: a later change cannot alter an earlier
//! date's answer. Reading a past date is then one index seek per envelope or programme
//! (the latest row on or before it), however long the ledger grows.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer};
use diesel::upsert::excluded;

use crate::connection::{DbConnection, on_backend};
use crate::error::DbError;
use crate::models::{EnvelopeRow, TotalsRow};
use crate::schema::{envelope_days, programme_days};

/// Keeps `row` as the programme-year's totals at the end of the day of `at`.
pub(crate) fn keep_programme(
    conn: &mut DbConnection,
    row: &TotalsRow,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    let upsert = diesel::insert_into(programme_days::table)
        .values((
            programme_days::programme_id.eq(row.programme_id),
            programme_days::financial_year.eq(row.financial_year),
            programme_days::day.eq(at.date()),
            programme_days::allocated_pence.eq(row.allocated_pence),
            programme_days::spent_run_pence.eq(row.spent_run_pence),
            programme_days::spent_change_pence.eq(row.spent_change_pence),
        ))
        .on_conflict((
            programme_days::programme_id,
            programme_days::financial_year,
            programme_days::day,
        ))
        .do_update()
        .set((
            programme_days::allocated_pence.eq(excluded(programme_days::allocated_pence)),
            programme_days::spent_run_pence.eq(excluded(programme_days::spent_run_pence)),
            programme_days::spent_change_pence.eq(excluded(programme_days::spent_change_pence)),
        ));
    on_backend!(conn, |c| upsert.execute(c))?;
    Ok(())
}

/// Keeps `row` as the envelope at the end of the day of `at`.
pub(crate) fn keep_envelope(
    conn: &mut DbConnection,
    row: &EnvelopeRow,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    let upsert = diesel::insert_into(envelope_days::table)
        .values((
            envelope_days::stream_id.eq(row.stream_id),
            envelope_days::financial_year.eq(row.financial_year),
            envelope_days::day.eq(at.date()),
            envelope_days::amount_pence.eq(row.amount_pence),
            envelope_days::allocated_pence.eq(row.allocated_pence),
        ))
        .on_conflict((
            envelope_days::stream_id,
            envelope_days::financial_year,
            envelope_days::day,
        ))
        .do_update()
        .set((
            envelope_days::amount_pence.eq(excluded(envelope_days::amount_pence)),
            envelope_days::allocated_pence.eq(excluded(envelope_days::allocated_pence)),
        ));
    on_backend!(conn, |c| upsert.execute(c))?;
    Ok(())
}

/// An envelope at the end of a day.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct EnvelopeDay {
    #[diesel(sql_type = BigInt)]
    pub stream_id: i64,
    #[diesel(sql_type = Integer)]
    pub financial_year: i32,
    #[diesel(sql_type = BigInt)]
    pub amount_pence: i64,
    #[diesel(sql_type = BigInt)]
    pub allocated_pence: i64,
}

/// Which programme-years or envelopes to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// One financial year (its start year), or every year.
    pub financial_year: Option<i32>,
    /// Some programmes (or streams), or all.
    pub ids: Option<&'a [i64]>,
}

impl Scope<'_> {
    /// The extra conditions, written into the SQL: the year is bound as `$2`, and ids
    /// are integers, written as literals (nothing from the request reaches the text).
    fn conditions(&self, id_column: &str) -> String {
        let mut sql = String::new();
        if self.financial_year.is_some() {
            sql.push_str(" AND k.financial_year = $2");
        }
        if let Some(ids) = self.ids {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            // An empty scope matches nothing.
            let list = if list.is_empty() {
                "NULL".to_string()
            } else {
                list.join(", ")
            };
            sql.push_str(&format!(" AND k.{id_column} IN ({list})"));
        }
        sql
    }
}

/// Programme-years' totals at the end of `day`, for those with anything recorded by
/// then. Driven by the live totals table (one row per programme-year), each row finds
/// its latest day on or before `day` through the primary key.
pub fn programmes_as_of(
    conn: &mut DbConnection,
    day: NaiveDate,
    scope: Scope<'_>,
) -> Result<Vec<TotalsRow>, DbError> {
    // `$1` and `$2` are numbered placeholders in PostgreSQL and named ones in SQLite,
    // where they take positions 1 and 2 in order of first appearance, as written here.
    let sql = format!(
        "SELECT d.programme_id, d.financial_year, d.allocated_pence, d.spent_run_pence, d.spent_change_pence
         FROM programme_year_totals k
         JOIN programme_days d ON d.programme_id = k.programme_id AND d.financial_year = k.financial_year
         WHERE d.day = (SELECT MAX(e.day) FROM programme_days e
                        WHERE e.programme_id = k.programme_id AND e.financial_year = k.financial_year
                          AND e.day <= $1){}
         ORDER BY d.programme_id, d.financial_year",
        scope.conditions("programme_id")
    );
    let query = diesel::sql_query(sql).bind::<Date, _>(day);
    Ok(match scope.financial_year {
        Some(year) => query.bind::<Integer, _>(year).load(conn)?,
        None => query.load(conn)?,
    })
}

/// Envelopes at the end of `day`, for those set by then.
pub fn envelopes_as_of(
    conn: &mut DbConnection,
    day: NaiveDate,
    scope: Scope<'_>,
) -> Result<Vec<EnvelopeDay>, DbError> {
    let sql = format!(
        "SELECT d.stream_id, d.financial_year, d.amount_pence, d.allocated_pence
         FROM envelopes k
         JOIN envelope_days d ON d.stream_id = k.stream_id AND d.financial_year = k.financial_year
         WHERE d.day = (SELECT MAX(e.day) FROM envelope_days e
                        WHERE e.stream_id = k.stream_id AND e.financial_year = k.financial_year
                          AND e.day <= $1){}
         ORDER BY d.stream_id, d.financial_year",
        scope.conditions("stream_id")
    );
    let query = diesel::sql_query(sql).bind::<Date, _>(day);
    Ok(match scope.financial_year {
        Some(year) => query.bind::<Integer, _>(year).load(conn)?,
        None => query.load(conn)?,
    })
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

#[derive(QueryableByName)]
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
/// they disagree. Empty means the projection is faithful. For checks and tests: it reads
/// every entry.
pub fn mismatches(conn: &mut DbConnection) -> Result<Vec<DayMismatch>, DbError> {
    let stored: Vec<(i64, i32, NaiveDate, i64, i64, i64)> = programme_days::table
        .select((
            programme_days::programme_id,
            programme_days::financial_year,
            programme_days::day,
            programme_days::allocated_pence,
            programme_days::spent_run_pence,
            programme_days::spent_change_pence,
        ))
        .load(conn)?;
    // SQLite has no DATE type to cast to; its date() gives the same YYYY-MM-DD.
    let day_of = match conn {
        DbConnection::Postgres(_) => "CAST(recorded_at AS DATE)",
        DbConnection::Sqlite(_) => "date(recorded_at)",
    };
    let entries: Vec<CheckedProgrammeDay> = diesel::sql_query(format!(
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
    .load(conn)?;
    // Running sums of each day's entries give what each day's row should hold.
    let mut expected: std::collections::BTreeMap<(i64, i32, NaiveDate), [i64; 3]> =
        std::collections::BTreeMap::new();
    let mut daily: Vec<CheckedProgrammeDay> = entries;
    daily.sort_by_key(|d| (d.programme_id, d.financial_year, d.day));
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
    let mut found = Vec::new();
    for (programme_id, year, day, allocated, run, change) in stored {
        let stored = vec![allocated, run, change];
        let from_entries = expected
            .remove(&(programme_id, year, day))
            .map(Vec::from)
            .unwrap_or_default();
        if from_entries != stored {
            found.push(DayMismatch {
                table: "programme_days",
                key: format!("programme {programme_id}, year {year}"),
                day,
                stored,
                from_entries,
            });
        }
    }
    for ((programme_id, year, day), sums) in expected {
        found.push(DayMismatch {
            table: "programme_days",
            key: format!("programme {programme_id}, year {year}"),
            day,
            stored: Vec::new(),
            from_entries: Vec::from(sums),
        });
    }
    Ok(found)
}
