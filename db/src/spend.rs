//! Actual spend per programme per year, run or change.

use beacon_core::{FinancialYear, NewSpend, Pence, SpendCategory, ValidationErrors};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, write_transaction};
use crate::error::DbError;
use crate::models::SpendRow;
use crate::schema::spend_entries;
use crate::totals::{self, Delta};

/// Appends a spend entry and adds it to the programme's yearly totals, in one
/// transaction with its audit entry. A negative correction may not take the year's
/// spend in its category below zero.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    programme_id: i64,
    year: FinancialYear,
    spend: &NewSpend,
    recorded_by: Option<i64>,
) -> Result<SpendRow, DbError> {
    write_transaction(conn, |conn| {
        crate::programmes::lock(conn, programme_id)?;
        let current = totals::for_programme_year(conn, programme_id, year.start_year())?;
        let spent = match spend.category {
            SpendCategory::Run => current.spent_run_pence,
            SpendCategory::Change => current.spent_change_pence,
        };
        let after = Pence::new(spent).checked_add(spend.amount).map_err(|e| {
            DbError::Invalid(ValidationErrors::single("amount_pence", e.to_string()))
        })?;
        if after.is_negative() {
            return Err(DbError::Invalid(ValidationErrors::single(
                "amount_pence",
                format!(
                    "{} would take {} spend for {year} below zero: {} is recorded",
                    spend.amount,
                    spend.category,
                    Pence::new(spent)
                ),
            )));
        }
        let at = crate::now();
        let row: SpendRow = diesel::insert_into(spend_entries::table)
            .values((
                spend_entries::programme_id.eq(programme_id),
                spend_entries::financial_year.eq(year.start_year()),
                spend_entries::category.eq(spend.category.as_str()),
                spend_entries::amount_pence.eq(spend.amount.get()),
                spend_entries::description.eq(&spend.description),
                spend_entries::recorded_by.eq(recorded_by),
                spend_entries::recorded_at.eq(at),
            ))
            .returning(spend_entries::all_columns)
            .get_result(conn)?;
        let delta = match spend.category {
            SpendCategory::Run => Delta {
                spent_run: spend.amount.get(),
                ..Delta::default()
            },
            SpendCategory::Change => Delta {
                spent_change: spend.amount.get(),
                ..Delta::default()
            },
        };
        totals::add(conn, programme_id, year.start_year(), delta, at)?;
        audit::record(
            conn,
            actor,
            "create",
            "spend_entry",
            &row.id.to_string(),
            None::<&SpendRow>,
            Some(&row),
        )?;
        Ok(row)
    })
}

/// A programme's spend entries in the order they were recorded.
pub fn for_programme(conn: &mut DbConnection, programme_id: i64) -> Result<Vec<SpendRow>, DbError> {
    Ok(spend_entries::table
        .filter(spend_entries::programme_id.eq(programme_id))
        .order(spend_entries::id.asc())
        .select(SpendRow::as_select())
        .load(conn)?)
}

/// Whether an identical entry exists; the seed loader uses it to load each figure once.
pub fn exists(
    conn: &mut DbConnection,
    programme_id: i64,
    year: FinancialYear,
    spend: &NewSpend,
) -> Result<bool, DbError> {
    let count: i64 = spend_entries::table
        .filter(spend_entries::programme_id.eq(programme_id))
        .filter(spend_entries::financial_year.eq(year.start_year()))
        .filter(spend_entries::category.eq(spend.category.as_str()))
        .filter(spend_entries::amount_pence.eq(spend.amount.get()))
        .filter(spend_entries::description.eq(&spend.description))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}
