//! Per-programme, per-year totals: the projection of the ledger and spend that list
//! pages read instead of summing entries per request. Updated only inside the write
//! transaction of the entry that changes them.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use crate::connection::{DbConnection, on_backend};
use crate::error::DbError;
use crate::models::TotalsRow;
use crate::schema::programme_year_totals as totals;

/// Changes to one programme-year's totals, each possibly zero.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Delta {
    pub allocated: i64,
    pub spent_run: i64,
    pub spent_change: i64,
}

/// Adds `delta` to the programme's totals for the year, creating the row if needed.
/// The row is made to exist first and then changed by one `UPDATE … SET x = x + d`,
/// so concurrent entries for the same programme-year cannot lose an update, and the
/// table's checks see only the final values (an upsert would check the proposed
/// insert row, which for a negative delta is below zero). The result is also kept as
/// the programme-year's totals at the end of the day of `at`, the entry's time.
pub(crate) fn add(
    conn: &mut DbConnection,
    programme_id: i64,
    year: i32,
    delta: Delta,
    at: chrono::NaiveDateTime,
) -> Result<(), DbError> {
    let ensure = diesel::insert_into(totals::table)
        .values((
            totals::programme_id.eq(programme_id),
            totals::financial_year.eq(year),
            totals::allocated_pence.eq(0i64),
            totals::spent_run_pence.eq(0i64),
            totals::spent_change_pence.eq(0i64),
        ))
        .on_conflict((totals::programme_id, totals::financial_year))
        .do_nothing();
    on_backend!(conn, |c| ensure.execute(c))?;
    // The UPDATE's row lock also orders concurrent writers of this programme-year, so
    // the day row written next is always the latest totals.
    let row: TotalsRow = diesel::update(totals::table.find((programme_id, year)))
        .set((
            totals::allocated_pence.eq(totals::allocated_pence + delta.allocated),
            totals::spent_run_pence.eq(totals::spent_run_pence + delta.spent_run),
            totals::spent_change_pence.eq(totals::spent_change_pence + delta.spent_change),
        ))
        .returning(totals::all_columns)
        .get_result(conn)?;
    crate::days::keep_programme(conn, &row, at)
}

/// A programme's totals for a year; zeros when nothing was recorded.
pub fn for_programme_year(
    conn: &mut DbConnection,
    programme_id: i64,
    year: i32,
) -> Result<TotalsRow, DbError> {
    let row = totals::table
        .find((programme_id, year))
        .select(TotalsRow::as_select())
        .get_result(conn)
        .optional()?;
    Ok(row.unwrap_or(TotalsRow {
        programme_id,
        financial_year: year,
        ..TotalsRow::default()
    }))
}

/// A programme-year whose stored totals differ from the sums of its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub stored: TotalsRow,
    pub from_entries: TotalsRow,
}

#[derive(QueryableByName)]
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
pub fn mismatches(conn: &mut DbConnection) -> Result<Vec<Mismatch>, DbError> {
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
    .load(conn)?;
    let stored: Vec<TotalsRow> = totals::table.select(TotalsRow::as_select()).load(conn)?;

    let mut expected: std::collections::BTreeMap<(i64, i32), TotalsRow> = summed
        .into_iter()
        .map(|s| {
            let row = TotalsRow {
                programme_id: s.programme_id,
                financial_year: s.financial_year,
                allocated_pence: s.allocated_pence,
                spent_run_pence: s.spent_run_pence,
                spent_change_pence: s.spent_change_pence,
            };
            ((s.programme_id, s.financial_year), row)
        })
        .collect();
    let mut found = Vec::new();
    for row in stored {
        let key = (row.programme_id, row.financial_year);
        let from_entries = expected.remove(&key).unwrap_or(TotalsRow {
            programme_id: row.programme_id,
            financial_year: row.financial_year,
            ..TotalsRow::default()
        });
        if from_entries != row {
            found.push(Mismatch {
                stored: row,
                from_entries,
            });
        }
    }
    for (_, from_entries) in expected {
        found.push(Mismatch {
            stored: TotalsRow {
                programme_id: from_entries.programme_id,
                financial_year: from_entries.financial_year,
                ..TotalsRow::default()
            },
            from_entries,
        });
    }
    Ok(found)
}

/// The totals of each of `programme_ids` for one year; programmes with nothing
/// recorded are absent.
pub fn for_programmes_year(
    conn: &mut DbConnection,
    programme_ids: &[i64],
    year: i32,
) -> Result<Vec<TotalsRow>, DbError> {
    if programme_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(totals::table
        .filter(totals::programme_id.eq_any(programme_ids))
        .filter(totals::financial_year.eq(year))
        .select(TotalsRow::as_select())
        .load(conn)?)
}
