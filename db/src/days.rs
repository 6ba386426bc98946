//! Money as it stood at the end of a past day: what had taken effect by then.
//!
//! Each entry changes the rows of `envelope_days` / `programme_days` from the day it
//! takes effect on, in the same transaction: a row is made for that day (from the one
//! before it) and every row from then on takes the change. Entries cannot take effect
//! after today, so the latest row is always the envelope or programme-year as it
//! stands. Reading a past date is then one index seek per envelope or programme (the
//! latest row on or before it), however long the ledger grows.
//!
//! A past date "as known on" an earlier day, leaving out what was recorded after it,
//! adds up the entries themselves instead (`*_known`): the projection holds only what
//! is known now.

use beacon_core::{FinancialYear, Pence};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Timestamp};

use crate::backend;
use crate::connection::{DbConnection, Tx};
use crate::error::DbError;
use crate::records::{YearTotals, all};
use crate::rows::TotalsRow;
use crate::schema::{envelope_days, programme_days};
use crate::totals::Delta;

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

/// A past date's money: what had taken effect by the end of `day`, as recorded before
/// `known_before`, or as recorded now when that is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub day: NaiveDate,
    pub known_before: Option<NaiveDateTime>,
}

impl When {
    /// What had taken effect by the end of `day`, as known now.
    pub fn known_now(day: NaiveDate) -> Self {
        When {
            day,
            known_before: None,
        }
    }

    /// Whether an entry taking effect on `effective_on`, recorded at `recorded_at`,
    /// counts.
    pub fn counts(&self, effective_on: NaiveDate, recorded_at: NaiveDateTime) -> bool {
        effective_on <= self.day && self.known_before.is_none_or(|k| recorded_at < k)
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
    when: When,
    scope: Scope<'_>,
) -> Result<Vec<YearTotals>, DbError> {
    let day = when.day;
    if let Some(known_before) = when.known_before {
        return programmes_known(conn, day, known_before, scope);
    }
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
    when: When,
    scope: Scope<'_>,
) -> Result<Vec<EnvelopeDay>, DbError> {
    let day = when.day;
    if let Some(known_before) = when.known_before {
        return envelopes_known(conn, day, known_before, scope);
    }
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

impl Scope<'_> {
    fn holds(&self, id: i64, year: i32) -> bool {
        self.year.is_none_or(|y| y.start_year() == year)
            && self.ids.is_none_or(|ids| ids.contains(&id))
    }
}

/// Programme-years' totals from the entries themselves: those taking effect by the end
/// of `day`, recorded before `known_before`.
fn programmes_known(
    conn: &mut DbConnection,
    day: NaiveDate,
    known_before: NaiveDateTime,
    scope: Scope<'_>,
) -> Result<Vec<YearTotals>, DbError> {
    let rows: Vec<TotalsRow> = diesel::sql_query(
        "SELECT programme_id, financial_year,
                CAST(SUM(allocated_pence) AS BIGINT) AS allocated_pence,
                CAST(SUM(spent_run_pence) AS BIGINT) AS spent_run_pence,
                CAST(SUM(spent_change_pence) AS BIGINT) AS spent_change_pence
         FROM (
             SELECT programme_id, financial_year, amount_pence AS allocated_pence,
                    0 AS spent_run_pence, 0 AS spent_change_pence
             FROM ledger_entries WHERE effective_on <= $1 AND recorded_at < $2
             UNION ALL
             SELECT programme_id, financial_year, 0,
                    CASE WHEN category = 'run' THEN amount_pence ELSE 0 END,
                    CASE WHEN category = 'change' THEN amount_pence ELSE 0 END
             FROM spend_entries WHERE effective_on <= $1 AND recorded_at < $2
         ) AS e
         GROUP BY programme_id, financial_year
         ORDER BY programme_id, financial_year",
    )
    .bind::<Date, _>(day)
    .bind::<Timestamp, _>(known_before)
    .load(conn)?;
    let rows = rows
        .into_iter()
        .filter(|r| scope.holds(r.programme_id, r.financial_year));
    all(rows.collect())
}

/// Envelopes from their changes and the ledger: the latest change taking effect by the
/// end of `day`, and the entries taking effect by then, all recorded before
/// `known_before`.
fn envelopes_known(
    conn: &mut DbConnection,
    day: NaiveDate,
    known_before: NaiveDateTime,
    scope: Scope<'_>,
) -> Result<Vec<EnvelopeDay>, DbError> {
    let rows: Vec<EnvelopeDayRow> = diesel::sql_query(
        "SELECT c.stream_id, c.financial_year, c.amount_pence,
                COALESCE((SELECT CAST(SUM(l.amount_pence) AS BIGINT) FROM ledger_entries l
                          WHERE l.stream_id = c.stream_id AND l.financial_year = c.financial_year
                            AND l.effective_on <= $1 AND l.recorded_at < $2), 0) AS allocated_pence
         FROM envelope_changes c
         WHERE c.effective_on <= $1 AND c.recorded_at < $2
           AND NOT EXISTS (
               SELECT 1 FROM envelope_changes n
               WHERE n.stream_id = c.stream_id AND n.financial_year = c.financial_year
                 AND n.effective_on <= $1 AND n.recorded_at < $2
                 AND (n.effective_on > c.effective_on
                      OR (n.effective_on = c.effective_on AND n.id > c.id)))
         ORDER BY c.stream_id, c.financial_year",
    )
    .bind::<Date, _>(day)
    .bind::<Timestamp, _>(known_before)
    .load(conn)?;
    let rows = rows
        .into_iter()
        .filter(|r| scope.holds(r.stream_id, r.financial_year));
    all(rows.collect())
}

/// Adds `delta` to a programme-year's days from `from` on.
pub(crate) fn add_to_programme(
    tx: &mut Tx<'_>,
    programme_id: i64,
    year: i32,
    from: NaiveDate,
    delta: Delta,
) -> Result<(), DbError> {
    use programme_days as d;
    let key = d::programme_id
        .eq(programme_id)
        .and(d::financial_year.eq(year));
    let before: Option<TotalsRow> = d::table
        .filter(key)
        .filter(d::day.lt(from))
        .order(d::day.desc())
        .select((
            d::programme_id,
            d::financial_year,
            d::allocated_pence,
            d::spent_run_pence,
            d::spent_change_pence,
        ))
        .first(&mut **tx)
        .optional()?;
    let start = before.unwrap_or(TotalsRow {
        programme_id,
        financial_year: year,
        allocated_pence: 0,
        spent_run_pence: 0,
        spent_change_pence: 0,
    });
    backend::insert_programme_day_once(tx, &start, from)?;
    diesel::update(d::table.filter(key).filter(d::day.ge(from)))
        .set((
            d::allocated_pence.eq(d::allocated_pence + delta.allocated.get()),
            d::spent_run_pence.eq(d::spent_run_pence + delta.spent_run.get()),
            d::spent_change_pence.eq(d::spent_change_pence + delta.spent_change.get()),
        ))
        .execute(&mut **tx)?;
    Ok(())
}

/// Adds `allocated` to an envelope's days from `from` on and, when it was set anew,
/// gives them its new `amount`. An envelope's changes never take effect before its
/// latest one, so the new amount holds from `from` to today.
pub(crate) fn change_envelope(
    tx: &mut Tx<'_>,
    stream_id: i64,
    year: i32,
    from: NaiveDate,
    (allocated, amount): (Pence, Option<Pence>),
) -> Result<(), DbError> {
    use envelope_days as d;
    let key = d::stream_id.eq(stream_id).and(d::financial_year.eq(year));
    let before: (i64, i64) = d::table
        .filter(key)
        .filter(d::day.lt(from))
        .order(d::day.desc())
        .select((d::amount_pence, d::allocated_pence))
        .first(&mut **tx)
        .optional()?
        .unwrap_or((0, 0));
    backend::insert_envelope_day_once(tx, stream_id, year, from, before)?;
    let days = d::table.filter(key).filter(d::day.ge(from));
    let added = d::allocated_pence.eq(d::allocated_pence + allocated.get());
    match amount {
        Some(amount) => {
            diesel::update(days)
                .set((added, d::amount_pence.eq(amount.get())))
                .execute(&mut **tx)?;
        }
        None => {
            diesel::update(days).set(added).execute(&mut **tx)?;
        }
    }
    Ok(())
}
