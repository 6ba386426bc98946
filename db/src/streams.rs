//! Funding streams and their envelopes: how much each may allocate in each year, and
//! the history of every change to that.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use beacon_core::{FinancialYear, FundingStream, Pence};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::backend;
use crate::connection::{DbConnection, Tx};
use crate::days;
use crate::error::DbError;
use crate::records::{EnvelopeState, Stream, all};
use crate::rows::{EnvelopeRow, StreamRow};
use crate::schema::{envelope_changes, envelopes, funding_streams};

pub fn insert(tx: &mut Tx<'_>, actor: &Actor, stream: &FundingStream) -> Result<Stream, DbError> {
    let row: StreamRow = diesel::insert_into(funding_streams::table)
        .values((
            funding_streams::code.eq(stream.code.as_str()),
            funding_streams::name.eq(&stream.name),
            funding_streams::description.eq(&stream.description),
            funding_streams::created_at.eq(crate::now()),
        ))
        .returning(funding_streams::all_columns)
        .get_result(&mut **tx)?;
    audit::record(
        tx,
        actor,
        AuditAction::Create,
        AuditEntity::FundingStream,
        &row.code,
        None::<&StreamRow>,
        Some(&row),
    )?;
    Stream::try_from(row)
}

pub fn find(conn: &mut DbConnection, code: &str) -> Result<Option<Stream>, DbError> {
    funding_streams::table
        .filter(funding_streams::code.eq(code))
        .select(StreamRow::as_select())
        .get_result(conn)
        .optional()?
        .map(Stream::try_from)
        .transpose()
}

pub fn get(conn: &mut DbConnection, code: &str) -> Result<Stream, DbError> {
    find(conn, code)?.ok_or_else(|| DbError::not_found("funding stream", code))
}

/// Every stream, by code.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Stream>, DbError> {
    let rows: Vec<StreamRow> = funding_streams::table
        .order(funding_streams::code.asc())
        .select(StreamRow::as_select())
        .load(conn)?;
    all(rows)
}

/// A stream's envelopes, earliest year first.
pub fn envelopes(conn: &mut DbConnection, stream_id: i64) -> Result<Vec<EnvelopeState>, DbError> {
    let rows: Vec<EnvelopeRow> = envelopes::table
        .filter(envelopes::stream_id.eq(stream_id))
        .order(envelopes::financial_year.asc())
        .select(EnvelopeRow::as_select())
        .load(conn)?;
    all(rows)
}

/// Every stream's envelope for `year` but `except_stream`'s, added up.
pub fn year_envelopes_besides(
    conn: &mut DbConnection,
    year: FinancialYear,
    except_stream: i64,
) -> Result<Pence, DbError> {
    let amounts: Vec<i64> = envelopes::table
        .filter(envelopes::financial_year.eq(year.start_year()))
        .filter(envelopes::stream_id.ne(except_stream))
        .select(envelopes::amount_pence)
        .load(conn)?;
    Pence::sum(amounts.into_iter().map(Pence::new))
        .map_err(|e| DbError::Corrupt(format!("envelopes for {year}: {e}")))
}

pub fn find_envelope(
    conn: &mut DbConnection,
    stream_id: i64,
    year: FinancialYear,
) -> Result<Option<EnvelopeState>, DbError> {
    envelopes::table
        .find((stream_id, year.start_year()))
        .select(EnvelopeRow::as_select())
        .get_result(conn)
        .optional()?
        .map(EnvelopeState::try_from)
        .transpose()
}

/// The envelope, locked until this transaction ends, so that concurrent changes to it
/// queue and none is checked against a total another is about to change.
pub fn lock_envelope(
    tx: &mut Tx<'_>,
    stream_id: i64,
    year: FinancialYear,
) -> Result<Option<EnvelopeState>, DbError> {
    backend::lock_envelope(tx, stream_id, year.start_year())?
        .map(EnvelopeState::try_from)
        .transpose()
}

/// An envelope being set: its stream, year, amount, what is allocated from it after
/// the change, and where the figure comes from.
#[derive(Debug, Clone)]
pub struct EnvelopeSetting<'a> {
    pub stream: &'a Stream,
    pub year: FinancialYear,
    pub amount: Pence,
    pub allocated: Pence,
    pub basis: &'a str,
    /// The day the new amount takes effect: when it was decided or announced.
    pub effective_on: NaiveDate,
}

impl EnvelopeSetting<'_> {
    fn row(&self, at: NaiveDateTime) -> EnvelopeRow {
        EnvelopeRow {
            stream_id: self.stream.id,
            financial_year: self.year.start_year(),
            amount_pence: self.amount.get(),
            allocated_pence: self.allocated.get(),
            basis: self.basis.to_string(),
            updated_at: at,
        }
    }

    fn entity_id(&self) -> String {
        format!("{}/{}", self.stream.code, self.year)
    }
}

/// Appends an envelope's new amount to its history, `change` being the new amount less
/// the old; returns the history row's id, which a cut's withdrawals refer to.
pub fn record_change(
    tx: &mut Tx<'_>,
    actor: &Actor,
    setting: &EnvelopeSetting<'_>,
    change: Pence,
    at: NaiveDateTime,
) -> Result<i64, DbError> {
    Ok(diesel::insert_into(envelope_changes::table)
        .values((
            envelope_changes::stream_id.eq(setting.stream.id),
            envelope_changes::financial_year.eq(setting.year.start_year()),
            envelope_changes::amount_pence.eq(setting.amount.get()),
            envelope_changes::change_pence.eq(change.get()),
            envelope_changes::basis.eq(setting.basis),
            envelope_changes::recorded_by.eq(actor.user_id),
            envelope_changes::recorded_at.eq(at),
            envelope_changes::effective_on.eq(setting.effective_on),
        ))
        .returning(envelope_changes::id)
        .get_result(&mut **tx)?)
}

/// Creates an envelope, with its audit entry, its history row and its day.
pub fn insert_envelope(
    tx: &mut Tx<'_>,
    actor: &Actor,
    setting: &EnvelopeSetting<'_>,
) -> Result<EnvelopeState, DbError> {
    let at = crate::now();
    let row = setting.row(at);
    diesel::insert_into(envelopes::table)
        .values(&row)
        .execute(&mut **tx)?;
    // The history row refers to the envelope, so it follows it; the audit entry names
    // the history row, so it comes last.
    record_change(tx, actor, setting, setting.amount, at)?;
    audit::record(
        tx,
        actor,
        AuditAction::Create,
        AuditEntity::Envelope,
        &setting.entity_id(),
        None::<&EnvelopeRow>,
        Some(&row),
    )?;
    let year = setting.year.start_year();
    let set = (Pence::ZERO, Some(setting.amount));
    days::change_envelope(tx, setting.stream.id, year, setting.effective_on, set)?;
    EnvelopeState::try_from(row)
}

/// Changes an envelope's amount and what is allocated from it, with its audit entry
/// and its day. Its history row is the caller's, written first with [`record_change`].
pub fn update_envelope(
    tx: &mut Tx<'_>,
    actor: &Actor,
    setting: &EnvelopeSetting<'_>,
) -> Result<EnvelopeState, DbError> {
    let at = crate::now();
    let key = (setting.stream.id, setting.year.start_year());
    let before: EnvelopeRow = envelopes::table
        .find(key)
        .select(EnvelopeRow::as_select())
        .get_result(&mut **tx)?;
    let after: EnvelopeRow = diesel::update(envelopes::table.find(key))
        .set((
            envelopes::amount_pence.eq(setting.amount.get()),
            envelopes::allocated_pence.eq(setting.allocated.get()),
            envelopes::basis.eq(setting.basis),
            envelopes::updated_at.eq(at),
        ))
        .returning(envelopes::all_columns)
        .get_result(&mut **tx)?;
    audit::record(
        tx,
        actor,
        AuditAction::Update,
        AuditEntity::Envelope,
        &setting.entity_id(),
        Some(&before),
        Some(&after),
    )?;
    let allocated = Pence::new(after.allocated_pence - before.allocated_pence);
    let set = (allocated, Some(setting.amount));
    days::change_envelope(tx, setting.stream.id, key.1, setting.effective_on, set)?;
    EnvelopeState::try_from(after)
}

/// Sets what is allocated from an envelope after a ledger entry of `entry` pence
/// taking effect on `effective_on` (the entry carries the audit entry), and adds it to
/// the envelope's days from then on.
pub fn set_allocated(
    tx: &mut Tx<'_>,
    (stream_id, year): (i64, FinancialYear),
    allocated: Pence,
    entry: Pence,
    effective_on: NaiveDate,
) -> Result<EnvelopeState, DbError> {
    let row: EnvelopeRow = diesel::update(envelopes::table.find((stream_id, year.start_year())))
        .set(envelopes::allocated_pence.eq(allocated.get()))
        .returning(envelopes::all_columns)
        .get_result(&mut **tx)?;
    days::change_envelope(
        tx,
        stream_id,
        year.start_year(),
        effective_on,
        (entry, None),
    )?;
    EnvelopeState::try_from(row)
}

/// The day the envelope's latest change takes effect, if it has any: a new change may
/// not take effect before it.
pub fn latest_effective(
    conn: &mut DbConnection,
    stream_id: i64,
    year: FinancialYear,
) -> Result<Option<NaiveDate>, DbError> {
    Ok(envelope_changes::table
        .filter(envelope_changes::stream_id.eq(stream_id))
        .filter(envelope_changes::financial_year.eq(year.start_year()))
        .select(diesel::dsl::max(envelope_changes::effective_on))
        .get_result(conn)?)
}

/// Which of its envelope's changes an envelope change is, counting from 1 in the
/// order recorded.
pub fn envelope_change_rank(conn: &mut DbConnection, change_id: i64) -> Result<i64, DbError> {
    let (stream, year): (i64, i32) = envelope_changes::table
        .find(change_id)
        .select((
            envelope_changes::stream_id,
            envelope_changes::financial_year,
        ))
        .get_result(conn)?;
    Ok(envelope_changes::table
        .filter(envelope_changes::stream_id.eq(stream))
        .filter(envelope_changes::financial_year.eq(year))
        .filter(envelope_changes::id.le(change_id))
        .count()
        .get_result(conn)?)
}
