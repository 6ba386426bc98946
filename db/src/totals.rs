//! Per-programme, per-year totals: the projection of the ledger and spend that list
//! pages read instead of summing entries per request. Updated only inside the write
//! transaction of the entry that changes them.

use beacon_core::{FinancialYear, Pence, SpendCategory};
use diesel::prelude::*;

use crate::backend;
use crate::connection::{DbConnection, Tx};
use crate::error::DbError;
use crate::records::YearTotals;
use crate::rows::TotalsRow;
use crate::schema::programme_year_totals as totals;

/// Changes to one programme-year's totals, each possibly zero.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Delta {
    pub allocated: Pence,
    pub spent_run: Pence,
    pub spent_change: Pence,
}

/// Adds `delta` to the programme's totals for the year, creating the row if needed.
/// The row is made to exist first and then changed by one `UPDATE … SET x = x + d`,
/// so concurrent entries for the same programme-year cannot lose an update, and the
/// table's checks see only the final values. The programme-year's days take the change
/// from `effective_on`, the day the entry takes effect.
pub(crate) fn add(
    tx: &mut Tx<'_>,
    programme_id: i64,
    year: FinancialYear,
    delta: Delta,
    effective_on: chrono::NaiveDate,
) -> Result<YearTotals, DbError> {
    backend::ensure_totals(tx, programme_id, year.start_year())?;
    // The UPDATE's row lock also orders concurrent writers of this programme-year's
    // days.
    let row: TotalsRow = diesel::update(totals::table.find((programme_id, year.start_year())))
        .set((
            totals::allocated_pence.eq(totals::allocated_pence + delta.allocated.get()),
            totals::spent_run_pence.eq(totals::spent_run_pence + delta.spent_run.get()),
            totals::spent_change_pence.eq(totals::spent_change_pence + delta.spent_change.get()),
        ))
        .returning(totals::all_columns)
        .get_result(&mut **tx)?;
    crate::days::add_to_programme(tx, programme_id, year.start_year(), effective_on, delta)?;
    YearTotals::try_from(row)
}

/// The year's spend in `category` across every programme.
pub fn year_spend(
    conn: &mut DbConnection,
    year: FinancialYear,
    category: SpendCategory,
) -> Result<Pence, DbError> {
    let rows: Vec<TotalsRow> = totals::table
        .filter(totals::financial_year.eq(year.start_year()))
        .select(TotalsRow::as_select())
        .load(conn)?;
    let each = rows
        .into_iter()
        .map(|row| YearTotals::try_from(row).map(|totals| totals.spent(category)))
        .collect::<Result<Vec<_>, _>>()?;
    Pence::sum(each).map_err(|e| DbError::Corrupt(format!("{category} spend for {year}: {e}")))
}

/// A programme's totals for a year; zeros when nothing was recorded.
pub fn for_programme_year(
    conn: &mut DbConnection,
    programme_id: i64,
    year: FinancialYear,
) -> Result<YearTotals, DbError> {
    let row: Option<TotalsRow> = totals::table
        .find((programme_id, year.start_year()))
        .select(TotalsRow::as_select())
        .get_result(conn)
        .optional()?;
    match row {
        Some(row) => YearTotals::try_from(row),
        None => Ok(YearTotals::zero(programme_id, year)),
    }
}

/// A programme's totals for every year it has any, earliest first.
pub fn for_programme(
    conn: &mut DbConnection,
    programme_id: i64,
) -> Result<Vec<YearTotals>, DbError> {
    let rows: Vec<TotalsRow> = totals::table
        .filter(totals::programme_id.eq(programme_id))
        .order(totals::financial_year.asc())
        .select(TotalsRow::as_select())
        .load(conn)?;
    rows.into_iter().map(YearTotals::try_from).collect()
}

/// The latest financial year in which any programme has money allocated or spent.
pub fn latest_year_with_money(conn: &mut DbConnection) -> Result<Option<FinancialYear>, DbError> {
    let start: Option<i32> = totals::table
        .filter(
            totals::allocated_pence
                .ne(0)
                .or(totals::spent_run_pence.ne(0))
                .or(totals::spent_change_pence.ne(0)),
        )
        .select(diesel::dsl::max(totals::financial_year))
        .get_result(conn)?;
    start
        .map(|start| {
            FinancialYear::starting(start)
                .map_err(|e| DbError::Corrupt(format!("a totals row's year {start}: {e}")))
        })
        .transpose()
}
