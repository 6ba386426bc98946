//! Actual spend per programme per year, run or change: append-only.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use beacon_core::{FinancialYear, NewSpend, SpendCategory};
use chrono::NaiveDate;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, Tx};
use crate::error::DbError;
use crate::records::SpendEntry;
use crate::rows::SpendRow;
use crate::schema::spend_entries;
use crate::totals::{self, Delta};

/// Appends a spend entry taking effect on `effective_on` and adds it to the
/// programme's yearly totals, with its audit entry. The caller has locked the programme
/// and checked the year's total.
pub fn append(
    tx: &mut Tx<'_>,
    actor: &Actor,
    programme_id: i64,
    year: FinancialYear,
    spend: &NewSpend,
    (recorded_by, effective_on): (Option<i64>, NaiveDate),
) -> Result<SpendEntry, DbError> {
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
            spend_entries::effective_on.eq(effective_on),
        ))
        .returning(spend_entries::all_columns)
        .get_result(&mut **tx)?;
    let delta = match spend.category {
        SpendCategory::Run => Delta {
            spent_run: spend.amount,
            ..Delta::default()
        },
        SpendCategory::Change => Delta {
            spent_change: spend.amount,
            ..Delta::default()
        },
    };
    totals::add(tx, programme_id, year, delta, effective_on)?;
    let id = row.id.to_string();
    audit::record(
        tx,
        actor,
        AuditAction::Create,
        AuditEntity::SpendEntry,
        &id,
        None::<&SpendRow>,
        Some(&row),
    )?;
    SpendEntry::try_from(row)
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
