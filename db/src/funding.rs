//! Funding streams, envelopes and the allocation ledger.

use beacon_core::funding::{self as rules, FundingError};
use beacon_core::{
    Envelope, FinancialYear, FundingStream, NewLedgerEntry, Pence, ValidationErrors,
};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, write_transaction};
use crate::error::DbError;
use crate::models::{EnvelopeRow, LedgerRow, StreamRow};
use crate::schema::{envelope_changes, envelopes, funding_streams, ledger_entries};
use crate::totals::{self, Delta};

pub fn create_stream(
    conn: &mut DbConnection,
    actor: &Actor,
    stream: &FundingStream,
) -> Result<StreamRow, DbError> {
    write_transaction(conn, |conn| {
        if find_stream(conn, stream.code.as_str())?.is_some() {
            return Err(DbError::Conflict(format!(
                "a funding stream with code '{}' already exists",
                stream.code
            )));
        }
        let row: StreamRow = diesel::insert_into(funding_streams::table)
            .values((
                funding_streams::code.eq(stream.code.as_str()),
                funding_streams::name.eq(&stream.name),
                funding_streams::description.eq(&stream.description),
                funding_streams::created_at.eq(crate::now()),
            ))
            .returning(funding_streams::all_columns)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            "create",
            "funding_stream",
            &row.code,
            None::<&StreamRow>,
            Some(&row),
        )?;
        Ok(row)
    })
}

pub fn find_stream(conn: &mut DbConnection, code: &str) -> Result<Option<StreamRow>, DbError> {
    Ok(funding_streams::table
        .filter(funding_streams::code.eq(code))
        .select(StreamRow::as_select())
        .get_result(conn)
        .optional()?)
}

pub fn get_stream(conn: &mut DbConnection, code: &str) -> Result<StreamRow, DbError> {
    find_stream(conn, code)?.ok_or_else(|| DbError::not_found("funding stream", code))
}

/// Every stream, by code.
pub fn list_streams(conn: &mut DbConnection) -> Result<Vec<StreamRow>, DbError> {
    Ok(funding_streams::table
        .order(funding_streams::code.asc())
        .select(StreamRow::as_select())
        .load(conn)?)
}

/// Money to take back from one programme as part of a cut.
#[derive(Debug, Clone)]
pub struct Withdrawal {
    pub programme_id: i64,
    /// How much to take back: positive.
    pub amount: Pence,
    pub reason: String,
}

/// An envelope as set, and the withdrawals its cut made.
#[derive(Debug, Clone)]
pub struct EnvelopeSet {
    pub envelope: EnvelopeRow,
    pub withdrawals: Vec<LedgerRow>,
}

/// What a cut would leave uncovered: the envelope, what would still be allocated from
/// it, and each programme's remaining allocation from it, largest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncovered {
    pub stream: String,
    pub year: FinancialYear,
    pub envelope: Pence,
    pub allocated: Pence,
    /// (programme code, its allocation from this stream and year after the withdrawals)
    pub allocations: Vec<(String, Pence)>,
}

impl Uncovered {
    /// How much more must be withdrawn for the cut to fit.
    pub fn excess(&self) -> Pence {
        Pence::new(self.allocated.get() - self.envelope.get())
    }
}

/// Sets a stream's envelope for a year, creating it or changing its amount.
///
/// Lowering it below what is allocated is refused with [`DbError::Uncovered`] naming the
/// allocations left uncovered, unless `withdrawals` take enough back: they are then
/// recorded as withdrawal entries pointing at this envelope change (the programmes'
/// funding shortfall), all in one transaction with the envelope, its history row, the
/// audit entries and, under `alerts`, the owners' notices of what they lost.
pub fn set_envelope(
    conn: &mut DbConnection,
    actor: &Actor,
    stream_id: i64,
    envelope: &Envelope,
    basis: &str,
    withdrawals: &[Withdrawal],
    alerts: &crate::alerts::Policy,
) -> Result<EnvelopeSet, DbError> {
    write_transaction(conn, |conn| {
        let year = envelope.year.start_year();
        let stream = stream_code(conn, stream_id)?;
        let entity_id = format!("{stream}/{}", envelope.year);
        let now = crate::now();
        let before = lock_envelope(conn, stream_id, year)?;
        let change = envelope.amount.get() - before.as_ref().map_or(0, |b| b.amount_pence);
        if !withdrawals.is_empty() && change >= 0 {
            return Err(DbError::Invalid(ValidationErrors::single(
                "withdrawals",
                "withdrawals go with a cut: send them only when lowering the envelope",
            )));
        }
        let Some(before) = before else {
            let row = EnvelopeRow {
                stream_id,
                financial_year: year,
                amount_pence: envelope.amount.get(),
                allocated_pence: 0,
                basis: basis.to_string(),
                updated_at: now,
            };
            diesel::insert_into(envelopes::table)
                .values(&row)
                .execute(conn)?;
            audit::record(
                conn,
                actor,
                "create",
                "envelope",
                &entity_id,
                None::<&EnvelopeRow>,
                Some(&row),
            )?;
            // The history row refers to the envelope, so it follows it.
            record_change(conn, actor, &row, change, now)?;
            crate::days::keep_envelope(conn, &row, now)?;
            return Ok(EnvelopeSet {
                envelope: row,
                withdrawals: Vec::new(),
            });
        };

        let balances = balances(conn, stream_id, year)?;
        let mut withdrawn = 0i64;
        let mut seen = std::collections::HashSet::new();
        let mut errors = ValidationErrors::default();
        for (i, w) in withdrawals.iter().enumerate() {
            let field = format!("withdrawals[{i}]");
            let held = balances.get(&w.programme_id).map_or(0, |(_, p)| *p);
            if !seen.insert(w.programme_id) {
                errors.add(&field, "name each programme once");
            } else if w.amount.get() <= 0 {
                errors.add(&field, "withdraw_pence must be more than zero");
            } else if w.amount.get() > held {
                errors.add(
                    &field,
                    format!(
                        "{} is more than the {} this programme holds from '{stream}' in {}",
                        w.amount,
                        Pence::new(held),
                        envelope.year
                    ),
                );
            }
            withdrawn += w.amount.get().max(0);
        }
        errors.into_result(|| ())?;
        let allocated = before.allocated_pence - withdrawn;
        if rules::check_envelope_covers(*envelope, Pence::new(allocated)).is_err() {
            let mut allocations: Vec<(String, Pence)> = balances
                .into_iter()
                .map(|(id, (code, held))| {
                    let taken = withdrawals
                        .iter()
                        .filter(|w| w.programme_id == id)
                        .map(|w| w.amount.get())
                        .sum::<i64>();
                    (code, Pence::new(held - taken))
                })
                .filter(|(_, left)| left.get() > 0)
                .collect();
            allocations.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            return Err(DbError::Uncovered(Uncovered {
                stream,
                year: envelope.year,
                envelope: envelope.amount,
                allocated: Pence::new(allocated),
                allocations,
            }));
        }

        let after = EnvelopeRow {
            stream_id,
            financial_year: year,
            amount_pence: envelope.amount.get(),
            allocated_pence: allocated,
            basis: basis.to_string(),
            updated_at: now,
        };
        let change_id = record_change(conn, actor, &after, change, now)?;
        let mut entries = Vec::with_capacity(withdrawals.len());
        for w in withdrawals {
            let entry = append_entry(
                conn,
                actor,
                NewEntry {
                    stream_id,
                    programme_id: w.programme_id,
                    year,
                    kind: beacon_core::LedgerKind::Withdrawal.as_str(),
                    amount: -w.amount.get(),
                    reason: if w.reason.trim().is_empty() {
                        basis
                    } else {
                        &w.reason
                    },
                    envelope_change_id: Some(change_id),
                    recorded_by: actor.user_id,
                    at: now,
                },
            )?;
            let held = balances.get(&w.programme_id).map_or(0, |(_, held)| *held);
            let balance_after = held - w.amount.get();
            crate::alerts::on_ledger_entry(
                conn,
                alerts,
                actor,
                &stream,
                envelope.year,
                &entry,
                balance_after,
            )?;
            entries.push(entry);
        }
        let after: EnvelopeRow = diesel::update(envelopes::table.find((stream_id, year)))
            .set((
                envelopes::amount_pence.eq(after.amount_pence),
                envelopes::allocated_pence.eq(after.allocated_pence),
                envelopes::basis.eq(basis),
                envelopes::updated_at.eq(now),
            ))
            .returning(envelopes::all_columns)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            "update",
            "envelope",
            &entity_id,
            Some(&before),
            Some(&after),
        )?;
        crate::days::keep_envelope(conn, &after, now)?;
        Ok(EnvelopeSet {
            envelope: after,
            withdrawals: entries,
        })
    })
}

/// Appends the envelope's new amount to its history; returns the history row's id.
fn record_change(
    conn: &mut DbConnection,
    actor: &Actor,
    row: &EnvelopeRow,
    change: i64,
    at: chrono::NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(envelope_changes::table)
        .values((
            envelope_changes::stream_id.eq(row.stream_id),
            envelope_changes::financial_year.eq(row.financial_year),
            envelope_changes::amount_pence.eq(row.amount_pence),
            envelope_changes::change_pence.eq(change),
            envelope_changes::basis.eq(&row.basis),
            envelope_changes::recorded_by.eq(actor.user_id),
            envelope_changes::recorded_at.eq(at),
        ))
        .returning(envelope_changes::id)
        .get_result(conn)?)
}

/// Each programme's allocation from one stream in one year, with its code.
fn balances(
    conn: &mut DbConnection,
    stream_id: i64,
    year: i32,
) -> Result<std::collections::HashMap<i64, (String, i64)>, DbError> {
    let amounts: Vec<(i64, i64)> = ledger_entries::table
        .filter(ledger_entries::stream_id.eq(stream_id))
        .filter(ledger_entries::financial_year.eq(year))
        .select((ledger_entries::programme_id, ledger_entries::amount_pence))
        .load(conn)?;
    let mut held: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for (programme_id, amount) in amounts {
        *held.entry(programme_id).or_default() += amount;
    }
    let ids: Vec<i64> = held.keys().copied().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let codes: Vec<(i64, String)> = crate::schema::programmes::table
        .filter(crate::schema::programmes::id.eq_any(&ids))
        .select((
            crate::schema::programmes::id,
            crate::schema::programmes::code,
        ))
        .load(conn)?;
    Ok(codes
        .into_iter()
        .map(|(id, code)| (id, (code, held.get(&id).copied().unwrap_or(0))))
        .collect())
}

/// A stream's envelopes, earliest year first.
pub fn envelopes(conn: &mut DbConnection, stream_id: i64) -> Result<Vec<EnvelopeRow>, DbError> {
    Ok(envelopes::table
        .filter(envelopes::stream_id.eq(stream_id))
        .order(envelopes::financial_year.asc())
        .select(EnvelopeRow::as_select())
        .load(conn)?)
}

pub fn find_envelope(
    conn: &mut DbConnection,
    stream_id: i64,
    year: FinancialYear,
) -> Result<Option<EnvelopeRow>, DbError> {
    Ok(envelopes::table
        .find((stream_id, year.start_year()))
        .select(EnvelopeRow::as_select())
        .get_result(conn)
        .optional()?)
}

/// Reads an envelope so that no concurrent writer can change it before this
/// transaction ends: `FOR UPDATE` on PostgreSQL; SQLite's write transaction already
/// excludes other writers.
fn lock_envelope(
    conn: &mut DbConnection,
    stream_id: i64,
    year: i32,
) -> Result<Option<EnvelopeRow>, DbError> {
    let query = envelopes::table.find((stream_id, year));
    Ok(match conn {
        DbConnection::Postgres(pg) => query
            .select(EnvelopeRow::as_select())
            .for_update()
            .get_result(pg)
            .optional()?,
        DbConnection::Sqlite(_) => query
            .select(EnvelopeRow::as_select())
            .get_result(conn)
            .optional()?,
    })
}

fn stream_code(conn: &mut DbConnection, stream_id: i64) -> Result<String, DbError> {
    funding_streams::table
        .find(stream_id)
        .select(funding_streams::code)
        .get_result(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("funding stream", stream_id))
}

/// Appends a ledger entry moving money between a stream's envelope and a programme.
///
/// The envelope row is locked, the entry checked against the envelope's headroom and
/// the programme's balance from that stream and year, then the entry, the envelope's
/// allocated total, the programme's yearly totals and the audit entry commit together.
/// So concurrent allocations can never take a stream over its envelope. An entry that
/// reduces the programme's funding (a withdrawal, a negative adjustment) writes its
/// owners' alerts, under `alerts`, in the same transaction.
#[allow(clippy::too_many_arguments)]
pub fn record_entry(
    conn: &mut DbConnection,
    actor: &Actor,
    stream_id: i64,
    programme_id: i64,
    year: FinancialYear,
    entry: &NewLedgerEntry,
    recorded_by: Option<i64>,
    alerts: &crate::alerts::Policy,
) -> Result<LedgerRow, DbError> {
    write_transaction(conn, |conn| {
        let stream = stream_code(conn, stream_id)?;
        crate::programmes::get_by_id(conn, programme_id)?;
        let envelope = lock_envelope(conn, stream_id, year.start_year())?.ok_or_else(|| {
            DbError::Invalid(ValidationErrors::single(
                "financial_year",
                format!("funding stream '{stream}' has no envelope for {year}; set one first"),
            ))
        })?;
        let balance = programme_balance(conn, stream_id, programme_id, year)?;
        let new_allocated = rules::check_entry_fits(
            year,
            Pence::new(envelope.amount_pence),
            Pence::new(envelope.allocated_pence),
            balance,
            entry.amount,
        )?;
        let at = crate::now();
        let row = append_entry(
            conn,
            actor,
            NewEntry {
                stream_id,
                programme_id,
                year: year.start_year(),
                kind: entry.kind.as_str(),
                amount: entry.amount.get(),
                reason: &entry.reason,
                envelope_change_id: None,
                recorded_by,
                at,
            },
        )?;
        let envelope: EnvelopeRow =
            diesel::update(envelopes::table.find((stream_id, year.start_year())))
                .set(envelopes::allocated_pence.eq(new_allocated.get()))
                .returning(envelopes::all_columns)
                .get_result(conn)?;
        crate::days::keep_envelope(conn, &envelope, at)?;
        let balance_after = balance.get().saturating_add(entry.amount.get());
        crate::alerts::on_ledger_entry(conn, alerts, actor, &stream, year, &row, balance_after)?;
        Ok(row)
    })
}

/// One ledger entry to append.
struct NewEntry<'a> {
    stream_id: i64,
    programme_id: i64,
    year: i32,
    kind: &'a str,
    amount: i64,
    reason: &'a str,
    envelope_change_id: Option<i64>,
    recorded_by: Option<i64>,
    at: chrono::NaiveDateTime,
}

/// Appends an entry with the programme's totals and its audit entry. The caller has
/// locked the envelope, checked the entry against it, and updates its allocated total.
fn append_entry(
    conn: &mut DbConnection,
    actor: &Actor,
    entry: NewEntry<'_>,
) -> Result<LedgerRow, DbError> {
    let row: LedgerRow = diesel::insert_into(ledger_entries::table)
        .values((
            ledger_entries::stream_id.eq(entry.stream_id),
            ledger_entries::programme_id.eq(entry.programme_id),
            ledger_entries::financial_year.eq(entry.year),
            ledger_entries::kind.eq(entry.kind),
            ledger_entries::amount_pence.eq(entry.amount),
            ledger_entries::reason.eq(entry.reason),
            ledger_entries::recorded_by.eq(entry.recorded_by),
            ledger_entries::recorded_at.eq(entry.at),
            ledger_entries::envelope_change_id.eq(entry.envelope_change_id),
        ))
        .returning(ledger_entries::all_columns)
        .get_result(conn)?;
    totals::add(
        conn,
        entry.programme_id,
        entry.year,
        Delta {
            allocated: entry.amount,
            ..Delta::default()
        },
        entry.at,
    )?;
    audit::record(
        conn,
        actor,
        "create",
        "ledger_entry",
        &row.id.to_string(),
        None::<&LedgerRow>,
        Some(&row),
    )?;
    Ok(row)
}

/// What a programme holds from one stream in one year: the sum of those entries.
pub fn programme_balance(
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
    Ok(rules::balance(amounts.into_iter().map(Pence::new)).map_err(FundingError::from)?)
}

/// A programme's ledger entries in the order they were recorded.
pub fn ledger_for_programme(
    conn: &mut DbConnection,
    programme_id: i64,
) -> Result<Vec<LedgerRow>, DbError> {
    Ok(ledger_entries::table
        .filter(ledger_entries::programme_id.eq(programme_id))
        .order(ledger_entries::id.asc())
        .select(LedgerRow::as_select())
        .load(conn)?)
}

/// Whether an entry with this stream, programme, year, amount and reason exists; the
/// seed loader uses it to load each published allocation once.
pub fn entry_exists(
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
