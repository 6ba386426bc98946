//! Money as it stood at the end of a past day.
//!
//! Each change to an envelope or to a programme's yearly totals also writes that row as
//! it now stands into `envelope_days` / `programme_days`, keyed by today's (UTC) date, in
//! the same transaction. Entries are only ever recorded at the present time, so once a
//! day is over its rows never change again: a later change cannot alter an earlier
//! date's answer. Reading a past date is then one index seek per envelope or programme
//! (the latest row on or before it), however long the ledger grows.

use beacon_core::{FinancialYear, Pence};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer};

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::records::{YearTotals, all};
use crate::rows::TotalsRow;

#[derive(QueryableByName)]
struct EnvelopeDayRow {
    #[diesel(sql_type = BigInt)]
    stream_id: i64,
    #[diesel(sql_type = Integer)]
    financial_year: i32,
    #[diesel(sql_type = BigInt)]
    amount_pence: i64,
    #[diesel(sql_type = BigInt)]
    allocated_pence: i64,
}

/// An envelope at the end of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeDay {
    pub stream_id: i64,
    pub year: FinancialYear,
    pub amount: Pence,
    pub allocated: Pence,
}

impl TryFrom<EnvelopeDayRow> for EnvelopeDay {
    type Error = DbError;
    fn try_from(row: EnvelopeDayRow) -> Result<Self, DbError> {
        Ok(EnvelopeDay {
            stream_id: row.stream_id,
            year: crate::records::year(row.financial_year)?,
            amount: Pence::new(row.amount_pence),
            allocated: Pence::new(row.allocated_pence),
        })
    }
}

/// Which programme-years or envelopes to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope<'a> {
    /// One financial year, or every year.
    pub year: Option<FinancialYear>,
    /// Some programmes (or streams), or all.
    pub ids: Option<&'a [i64]>,
}

impl Scope<'_> {
    /// The extra conditions, written into the SQL: the year is bound as `$2`, and ids
    /// are integers, written as literals (nothing from the request reaches the text).
    fn conditions(&self, id_column: &str) -> String {
        let mut sql = String::new();
        if self.year.is_some() {
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
) -> Result<Vec<YearTotals>, DbError> {
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
    let rows: Vec<TotalsRow> = match scope.year {
        Some(year) => query.bind::<Integer, _>(year.start_year()).load(conn)?,
        None => query.load(conn)?,
    };
    all(rows)
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
    let rows: Vec<EnvelopeDayRow> = match scope.year {
        Some(year) => query.bind::<Integer, _>(year.start_year()).load(conn)?,
        None => query.load(conn)?,
    };
    all(rows)
}
