//! The allocation ledger: append-only entries moving money between a stream's envelope
//! and a programme. A programme's allocation is the sum of its entries.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use std::collections::BTreeMap;

use beacon_core::{FinancialYear, LedgerKind, MoneyError, Pence};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, Tx};
use crate::days::When;
use crate::error::DbError;
use crate::records::{LedgerEntry, all};
use crate::rows::LedgerRow;
use crate::schema::ledger_entries;
use crate::totals::{self, Delta};

/// One ledger entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub stream_id: i64,
    pub programme_id: i64,
    pub year: FinancialYear,
    pub kind: LedgerKind,
    pub amount: Pence,
    pub reason: &'a str,
    /// The envelope change whose cut makes this withdrawal, if one does.
    pub envelope_change_id: Option<i64>,
    pub recorded_by: Option<i64>,
    pub at: NaiveDateTime,
    /// The day it takes effect: when the money was decided or withdrawn.
    pub effective_on: NaiveDate,
}

/// Appends an entry, adds it to the programme's yearly totals, and records its audit
/// entry. The caller has locked the envelope, checked the entry against it, and sets
/// its allocated total.
pub fn append(
    tx: &mut Tx<'_>,
    actor: &Actor,
    entry: &NewEntry<'_>,
) -> Result<LedgerEntry, DbError> {
    let row: LedgerRow = diesel::insert_into(ledger_entries::table)
        .values((
            ledger_entries::stream_id.eq(entry.stream_id),
            ledger_entries::programme_id.eq(entry.programme_id),
            ledger_entries::financial_year.eq(entry.year.start_year()),
            ledger_entries::kind.eq(entry.kind.as_str()),
            ledger_entries::amount_pence.eq(entry.amount.get()),
            ledger_entries::reason.eq(entry.reason),
            ledger_entries::recorded_by.eq(entry.recorded_by),
            ledger_entries::recorded_at.eq(entry.at),
            ledger_entries::envelope_change_id.eq(entry.envelope_change_id),
            ledger_entries::effective_on.eq(entry.effective_on),
        ))
        .returning(ledger_entries::all_columns)
        .get_result(&mut **tx)?;
    let delta = Delta {
        allocated: entry.amount,
        ..Delta::default()
    };
    totals::add(
        tx,
        entry.programme_id,
        entry.year,
        delta,
        entry.effective_on,
    )?;
    let id = row.id.to_string();
    audit::record(
        tx,
        actor,
        AuditAction::Create,
        AuditEntity::LedgerEntry,
        &id,
        None::<&LedgerRow>,
        Some(&row),
    )?;
    LedgerEntry::try_from(row)
}

fn sum(amounts: Vec<i64>) -> Result<Pence, DbError> {
    Pence::sum(amounts.into_iter().map(Pence::new))
        .map_err(|e: MoneyError| DbError::Corrupt(format!("a ledger total: {e}")))
}

/// What a programme holds from one stream in one year: the sum of those entries.
pub fn balance(
    conn: &mut DbConnection,
    stream_id: i64,
    programme_id: i64,
    year: FinancialYear,
) -> Result<Pence, DbError> {
    let amounts: Vec<i64> = ledger_entries::table
        .filter(ledger_entries::stream_id.eq(stream_id))
        .filter(ledger_entries::programme_id.eq(programme_id))
        .filter(ledger_entries::financial_year.eq(year.start_year()))
        .select(ledger_entries::amount_pence)
        .load(conn)?;
    sum(amounts)
}

/// What each programme holds from one stream in one year, by programme id.
pub fn holdings(
    conn: &mut DbConnection,
    stream_id: i64,
    year: FinancialYear,
) -> Result<BTreeMap<i64, Pence>, DbError> {
    let rows: Vec<(i64, i64)> = ledger_entries::table
        .filter(ledger_entries::stream_id.eq(stream_id))
        .filter(ledger_entries::financial_year.eq(year.start_year()))
        .select((ledger_entries::programme_id, ledger_entries::amount_pence))
        .load(conn)?;
    let mut by_programme: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (programme_id, amount) in rows {
        by_programme.entry(programme_id).or_default().push(amount);
    }
    by_programme
        .into_iter()
        .map(|(id, amounts)| Ok((id, sum(amounts)?)))
        .collect()
}

/// What one programme held from one stream in one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub stream_id: i64,
    pub programme_id: i64,
    pub year: FinancialYear,
    pub amount: Pence,
}

/// Every programme's holdings from every stream, from the entries that count `when`,
/// for one year or all: what no running total keeps, for summaries that group by
/// stream and programme together.
pub fn holdings_as_of(
    conn: &mut DbConnection,
    when: When,
    year: Option<FinancialYear>,
) -> Result<Vec<Holding>, DbError> {
    let mut query = ledger_entries::table
        .filter(ledger_entries::effective_on.le(when.day))
        .select((
            ledger_entries::stream_id,
            ledger_entries::programme_id,
            ledger_entries::financial_year,
            ledger_entries::amount_pence,
        ))
        .into_boxed();
    if let Some(known_before) = when.known_before {
        query = query.filter(ledger_entries::recorded_at.lt(known_before));
    }
    if let Some(year) = year {
        query = query.filter(ledger_entries::financial_year.eq(year.start_year()));
    }
    // Summed here, each sum checked, rather than by SQL whose sum of bigints is a
    // numeric on PostgreSQL.
    let mut sums: BTreeMap<(i64, i64, i32), Vec<i64>> = BTreeMap::new();
    for (stream_id, programme_id, year, amount) in query.load::<(i64, i64, i32, i64)>(conn)? {
        sums.entry((stream_id, programme_id, year))
            .or_default()
            .push(amount);
    }
    sums.into_iter()
        .map(|((stream_id, programme_id, year), amounts)| {
            Ok(Holding {
                stream_id,
                programme_id,
                year: crate::records::year(year)?,
                amount: sum(amounts)?,
            })
        })
        .collect()
}

/// A programme's ledger entries in the order they were recorded.
pub fn for_programme(
    conn: &mut DbConnection,
    programme_id: i64,
) -> Result<Vec<LedgerEntry>, DbError> {
    let rows: Vec<LedgerRow> = ledger_entries::table
        .filter(ledger_entries::programme_id.eq(programme_id))
        .order(ledger_entries::id.asc())
        .select(LedgerRow::as_select())
        .load(conn)?;
    all(rows)
}

/// Whether an entry with this stream, programme, year, amount and reason exists; the
/// seed loader uses it to load each published allocation once.
pub fn exists(
    conn: &mut DbConnection,
    stream_id: i64,
    programme_id: i64,
    year: FinancialYear,
    amount: Pence,
    reason: &str,
) -> Result<bool, DbError> {
    let count: i64 = ledger_entries::table
        .filter(ledger_entries::stream_id.eq(stream_id))
        .filter(ledger_entries::programme_id.eq(programme_id))
        .filter(ledger_entries::financial_year.eq(year.start_year()))
        .filter(ledger_entries::amount_pence.eq(amount.get()))
        .filter(ledger_entries::reason.eq(reason))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// A programme's funding shortfall in one year: what cuts to an envelope withdrew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall {
    pub programme_id: i64,
    pub year: FinancialYear,
    pub amount: Pence,
}

/// Every programme's shortfalls from the cuts that count `when` (or all, now), by
/// programme and year. Reads only withdrawals made by cuts, through their partial
/// index: few, however long the ledger grows.
pub fn shortfalls(conn: &mut DbConnection, when: Option<When>) -> Result<Vec<Shortfall>, DbError> {
    let query = ledger_entries::table
        .filter(ledger_entries::envelope_change_id.is_not_null())
        .select((
            ledger_entries::programme_id,
            ledger_entries::financial_year,
            ledger_entries::amount_pence,
            ledger_entries::effective_on,
            ledger_entries::recorded_at,
        ));
    // The dates are checked here rather than in SQL: with them in the query the planner
    // would walk the whole ledger by date instead of the few cut withdrawals.
    let rows: Vec<(i64, i32, i64, NaiveDate, NaiveDateTime)> = query.load(conn)?;
    let mut sums: BTreeMap<(i64, i32), Vec<i64>> = BTreeMap::new();
    for (programme_id, year, amount, effective_on, at) in rows {
        if when.is_none_or(|w| w.counts(effective_on, at)) {
            sums.entry((programme_id, year)).or_default().push(amount);
        }
    }
    sums.into_iter()
        .map(|((programme_id, year), amounts)| {
            Ok(Shortfall {
                programme_id,
                year: crate::records::year(year)?,
                amount: sum(amounts)?
                    .checked_neg()
                    .map_err(|e| DbError::Corrupt(e.to_string()))?,
            })
        })
        .collect()
}
