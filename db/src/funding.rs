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

/// Sets a stream's envelope for a year, creating it or changing its amount. Lowering
/// it below what is already allocated is refused: withdraw allocations first.
pub fn set_envelope(
    conn: &mut DbConnection,
    actor: &Actor,
    stream_id: i64,
    envelope: &Envelope,
    basis: &str,
) -> Result<EnvelopeRow, DbError> {
    write_transaction(conn, |conn| {
        let year = envelope.year.start_year();
        let stream = stream_code(conn, stream_id)?;
        let entity_id = format!("{stream}/{}", envelope.year);
        let now = crate::now();
        let before = lock_envelope(conn, stream_id, year)?;
        let change = envelope.amount.get() - before.as_ref().map_or(0, |b| b.amount_pence);
        let result = match before {
            Some(before) => {
                rules::check_envelope_covers(*envelope, Pence::new(before.allocated_pence))?;
                let after: EnvelopeRow = diesel::update(envelopes::table.find((stream_id, year)))
                    .set((
                        envelopes::amount_pence.eq(envelope.amount.get()),
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
                Ok(after)
            }
            None => {
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
                Ok(row)
            }
        };
        // The change joins the append-only history after the envelope row exists (the
        // history row refers to it).
        diesel::insert_into(envelope_changes::table)
            .values((
                envelope_changes::stream_id.eq(stream_id),
                envelope_changes::financial_year.eq(year),
                envelope_changes::amount_pence.eq(envelope.amount.get()),
                envelope_changes::change_pence.eq(change),
                envelope_changes::basis.eq(basis),
                envelope_changes::recorded_by.eq(actor.user_id),
                envelope_changes::recorded_at.eq(now),
            ))
            .execute(conn)?;
        result
    })
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
        let row: LedgerRow = diesel::insert_into(ledger_entries::table)
            .values((
                ledger_entries::stream_id.eq(stream_id),
                ledger_entries::programme_id.eq(programme_id),
                ledger_entries::financial_year.eq(year.start_year()),
                ledger_entries::kind.eq(entry.kind.as_str()),
                ledger_entries::amount_pence.eq(entry.amount.get()),
                ledger_entries::reason.eq(&entry.reason),
                ledger_entries::recorded_by.eq(recorded_by),
                ledger_entries::recorded_at.eq(crate::now()),
            ))
            .returning(ledger_entries::all_columns)
            .get_result(conn)?;
        diesel::update(envelopes::table.find((stream_id, year.start_year())))
            .set(envelopes::allocated_pence.eq(new_allocated.get()))
            .execute(conn)?;
        totals::add(
            conn,
            programme_id,
            year.start_year(),
            Delta {
                allocated: entry.amount.get(),
                ..Delta::default()
            },
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
        let balance_after = balance.get().saturating_add(entry.amount.get());
        crate::alerts::on_ledger_entry(conn, alerts, actor, &stream, year, &row, balance_after)?;
        Ok(row)
    })
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
