//! Funding: streams, their envelopes per financial year (and cuts to them), the
//! allocation ledger, and spend.

use std::collections::HashMap;

use chrono::NaiveDate;

use beacon_core::alert::{FundingReduction, reduces_funding};
use beacon_core::cut::{EnvelopeChange, Holding, Withdrawal};
use beacon_core::funding::{check_entry_fits, effective_day};
use beacon_core::{
    Action, AlertDetails, Envelope, FinancialYear, FundingStream, LedgerKind, NewLedgerEntry,
    NewSpend, Pence, ProgrammeCode, spend,
};
use beacon_db::ledger::{self, NewEntry};
use beacon_db::records::{EnvelopeState, LedgerEntry, Programme, SpendEntry, Stream};
use beacon_db::streams::{self, EnvelopeSetting};
use beacon_db::{DbConnection, Tx, programmes, totals, write_transaction};

use super::alerts::{Policy, about, raise};
use super::{AppError, Caller};

/// A funding stream with its envelopes, earliest year first.
#[derive(Debug, Clone)]
pub struct StreamEnvelopes {
    pub stream: Stream,
    pub envelopes: Vec<EnvelopeState>,
}

pub fn list_streams(conn: &mut DbConnection) -> Result<Vec<StreamEnvelopes>, AppError> {
    streams::list(conn)?
        .into_iter()
        .map(|stream| {
            let envelopes = streams::envelopes(conn, stream.id)?;
            Ok(StreamEnvelopes { stream, envelopes })
        })
        .collect()
}

pub fn get_stream(conn: &mut DbConnection, code: &str) -> Result<StreamEnvelopes, AppError> {
    let stream = streams::get(conn, code)?;
    let envelopes = streams::envelopes(conn, stream.id)?;
    Ok(StreamEnvelopes { stream, envelopes })
}

pub fn create_stream(
    conn: &mut DbConnection,
    who: &Caller,
    stream: &FundingStream,
) -> Result<Stream, AppError> {
    who.may(Action::ManageFunding)?;
    write_transaction(conn, |tx| {
        if streams::find(tx, stream.code.as_str())?.is_some() {
            return Err(AppError::Conflict(format!(
                "a funding stream with code '{}' already exists",
                stream.code
            )));
        }
        Ok(streams::insert(tx, &who.actor, stream)?)
    })
}

/// Money to take back from a programme as part of a cut, as asked for.
#[derive(Debug, Clone)]
pub struct WithdrawalRequest {
    /// The programme's code, as typed.
    pub programme: String,
    pub amount: Pence,
    /// Why; the envelope's basis when empty.
    pub reason: String,
}

/// An envelope as set, and the withdrawals its cut made, each with its programme.
#[derive(Debug, Clone)]
pub struct EnvelopeSet {
    pub stream: Stream,
    pub envelope: EnvelopeState,
    pub withdrawals: Vec<(LedgerEntry, ProgrammeCode)>,
}

/// Sets a stream's envelope for a year, creating it or changing its amount. Lowering
/// it below what is allocated is refused, naming the allocations left uncovered, unless
/// `withdrawals` take enough back: they are then recorded as withdrawals pointing at
/// this change (the programmes' shortfall), with the owners' alerts, all in one
/// transaction with the envelope, its history row and the audit entries.
pub fn set_envelope(
    conn: &mut DbConnection,
    who: &Caller,
    stream_code: &str,
    envelope: &Envelope,
    basis: &str,
    withdrawals: &[WithdrawalRequest],
    policy: &Policy,
) -> Result<EnvelopeSet, AppError> {
    who.may(Action::ManageFunding)?;
    write_transaction(conn, |tx| {
        let stream = streams::get(tx, stream_code)?;
        let named = withdrawn_programmes(tx, withdrawals)?;
        let before = streams::lock_envelope(tx, stream.id, envelope.year)?;
        streams::year_envelopes_besides(tx, envelope.year, stream.id)?
            .check_total_within_limit(
                envelope.amount,
                &format!("the envelopes for {}", envelope.year),
            )
            .map_err(|message| AppError::field("amount_pence", message))?;
        let holdings = holdings(tx, &stream, envelope.year)?;
        let change = EnvelopeChange {
            stream: &stream.code,
            year: envelope.year,
            before: before.as_ref().map(|b| b.amount),
            after: envelope.amount,
            allocated: before.as_ref().map_or(Pence::ZERO, |b| b.allocated),
            holdings: &holdings,
        };
        let allocated = change.check(&asked(&named, withdrawals))?;
        let effective_on = envelope_effective(tx, &stream, envelope)?;
        let setting = EnvelopeSetting {
            stream: &stream,
            year: envelope.year,
            amount: envelope.amount,
            allocated,
            basis,
            effective_on,
        };
        let Some(before) = before else {
            let envelope = streams::insert_envelope(tx, &who.actor, &setting)?;
            return Ok(EnvelopeSet {
                stream: stream.clone(),
                envelope,
                withdrawals: Vec::new(),
            });
        };
        let cut = Cut {
            setting: &setting,
            before: &before,
            holdings: &holdings,
        };
        let made = cut.withdraw(tx, who, &named, withdrawals, policy)?;
        let envelope = streams::update_envelope(tx, &who.actor, &setting)?;
        Ok(EnvelopeSet {
            stream: stream.clone(),
            envelope,
            withdrawals: made,
        })
    })
}

/// The day an envelope's new amount takes effect: as asked (else today), and not before
/// its latest change, so each change holds from its day until the next.
fn envelope_effective(
    tx: &mut Tx<'_>,
    stream: &Stream,
    envelope: &Envelope,
) -> Result<NaiveDate, AppError> {
    let day = effective(envelope.effective_on)?;
    if let Some(latest) = streams::latest_effective(tx, stream.id, envelope.year)?
        && day < latest
    {
        return Err(AppError::field(
            "effective_on",
            format!(
                "the {} envelope for {} last changed with effect from {latest}; a change cannot take effect before that, so use {latest} or later",
                stream.code, envelope.year
            ),
        ));
    }
    Ok(day)
}

/// The day a funding entry takes effect: as asked, or today.
fn effective(asked: Option<NaiveDate>) -> Result<NaiveDate, AppError> {
    effective_day(asked, chrono::Utc::now().date_naive())
        .map_err(|message| AppError::field("effective_on", message))
}

/// A change to an existing envelope, checked: what it was, what it becomes, and what
/// each programme holds from it.
struct Cut<'a> {
    setting: &'a EnvelopeSetting<'a>,
    before: &'a EnvelopeState,
    holdings: &'a [Holding],
}

impl Cut<'_> {
    /// Records the change in the envelope's history and the withdrawals it makes, each
    /// pointing at that change, with the owners' alerts.
    fn withdraw(
        &self,
        tx: &mut Tx<'_>,
        who: &Caller,
        programmes: &[Programme],
        withdrawals: &[WithdrawalRequest],
        policy: &Policy,
    ) -> Result<Vec<(LedgerEntry, ProgrammeCode)>, AppError> {
        let setting = self.setting;
        let at = beacon_db::now();
        let difference = setting
            .amount
            .checked_sub(self.before.amount)
            .map_err(funding_error)?;
        let change_id = streams::record_change(tx, &who.actor, setting, difference, at)?;
        let mut made = Vec::with_capacity(programmes.len());
        for (programme, w) in programmes.iter().zip(withdrawals) {
            let reason = if w.reason.trim().is_empty() {
                setting.basis
            } else {
                &w.reason
            };
            let entry = NewEntry {
                stream_id: setting.stream.id,
                programme_id: programme.id,
                year: setting.year,
                kind: LedgerKind::Withdrawal,
                amount: w.amount.checked_neg().map_err(funding_error)?,
                reason,
                envelope_change_id: Some(change_id),
                recorded_by: who.user_id(),
                at,
                effective_on: setting.effective_on,
            };
            let held = holding_of(self.holdings, &programme.code);
            let entry =
                append_with_alert(tx, who, setting.stream, programme, &entry, held, policy)?;
            made.push((entry, programme.code.clone()));
        }
        Ok(made)
    }
}

/// The withdrawals asked for, by programme code, as the cut rules take them.
fn asked(programmes: &[Programme], withdrawals: &[WithdrawalRequest]) -> Vec<Withdrawal> {
    programmes
        .iter()
        .zip(withdrawals)
        .map(|(programme, w)| Withdrawal {
            programme: programme.code.clone(),
            amount: w.amount,
        })
        .collect()
}

fn funding_error(error: beacon_core::MoneyError) -> AppError {
    AppError::Funding(error.into())
}

/// The programmes a cut's withdrawals name, in order; an unknown one is a field error.
fn withdrawn_programmes(
    tx: &mut Tx<'_>,
    withdrawals: &[WithdrawalRequest],
) -> Result<Vec<Programme>, AppError> {
    withdrawals
        .iter()
        .enumerate()
        .map(|(i, w)| {
            programmes::find_by_code(tx, w.programme.trim())?.ok_or_else(|| {
                AppError::field(
                    &format!("withdrawals[{i}].programme"),
                    format!("there is no programme '{}'", w.programme),
                )
            })
        })
        .collect()
}

/// What each programme holds from a stream in a year, by code.
fn holdings(
    tx: &mut Tx<'_>,
    stream: &Stream,
    year: FinancialYear,
) -> Result<Vec<Holding>, AppError> {
    let held = ledger::holdings(tx, stream.id, year)?;
    let ids: Vec<i64> = held.keys().copied().collect();
    let codes: HashMap<i64, String> = programmes::codes(tx, &ids)?;
    held.into_iter()
        .map(|(id, held)| {
            let code = codes.get(&id).map(String::as_str).unwrap_or_default();
            let programme = ProgrammeCode::parse(code)
                .map_err(|e| AppError::Internal(format!("programme {id}: {e}")))?;
            Ok(Holding { programme, held })
        })
        .collect()
}

fn holding_of(holdings: &[Holding], programme: &ProgrammeCode) -> Pence {
    holdings
        .iter()
        .find(|h| &h.programme == programme)
        .map_or(Pence::ZERO, |h| h.held)
}

/// Appends a ledger entry and, when it takes money from the programme, writes the
/// owners' alert saying what it lost and what it still holds (`held` before it).
fn append_with_alert(
    tx: &mut Tx<'_>,
    who: &Caller,
    stream: &Stream,
    programme: &Programme,
    entry: &NewEntry<'_>,
    held: Pence,
    policy: &Policy,
) -> Result<LedgerEntry, AppError> {
    let stored = ledger::append(tx, &who.actor, entry)?;
    if reduces_funding(stored.kind, stored.amount) {
        let details = AlertDetails::FundingReduced(FundingReduction {
            programme: about(programme),
            ledger_kind: stored.kind,
            amount_pence: stored.amount,
            balance_pence: held.checked_add(stored.amount).map_err(funding_error)?,
            stream_code: stream.code.to_string(),
            financial_year: stored.year,
            reason: stored.reason.clone(),
            by: who.actor.label.clone(),
            at: stored.recorded_at,
        });
        raise(
            tx,
            policy,
            &format!("ledger_entry:{}", stored.id),
            programme.id,
            &details,
        )?;
    }
    Ok(stored)
}

/// The stream's envelope for the year, locked until the transaction ends.
fn locked_envelope(
    tx: &mut Tx<'_>,
    stream: &Stream,
    year: FinancialYear,
) -> Result<EnvelopeState, AppError> {
    streams::lock_envelope(tx, stream.id, year)?.ok_or_else(|| {
        AppError::field(
            "financial_year",
            format!(
                "funding stream '{}' has no envelope for {year}; set one first",
                stream.code
            ),
        )
    })
}

/// A ledger entry as recorded, with its stream and programme.
#[derive(Debug, Clone)]
pub struct Allocated {
    pub entry: LedgerEntry,
    pub stream: Stream,
    pub programme: Programme,
}

/// Allocates money from a stream to a programme, or corrects or withdraws it. The
/// envelope is locked and the entry checked against its headroom and the programme's
/// balance, so concurrent allocations can never take a stream over its envelope.
pub fn record_entry(
    conn: &mut DbConnection,
    who: &Caller,
    stream_code: &str,
    programme_code: &str,
    year: FinancialYear,
    entry: &NewLedgerEntry,
    policy: &Policy,
) -> Result<Allocated, AppError> {
    who.may(Action::ManageFunding)?;
    write_transaction(conn, |tx| {
        let stream = streams::get(tx, stream_code)?;
        let programme = programmes::find_by_code(tx, programme_code)?.ok_or_else(|| {
            AppError::field(
                "programme",
                format!("no programme has the code '{programme_code}'"),
            )
        })?;
        let envelope = locked_envelope(tx, &stream, year)?;
        let balance = ledger::balance(tx, stream.id, programme.id, year)?;
        let allocated = check_entry_fits(
            year,
            envelope.amount,
            envelope.allocated,
            balance,
            entry.amount,
        )?;
        let new = NewEntry {
            stream_id: stream.id,
            programme_id: programme.id,
            year,
            kind: entry.kind,
            amount: entry.amount,
            reason: &entry.reason,
            envelope_change_id: None,
            recorded_by: who.user_id(),
            at: beacon_db::now(),
            effective_on: effective(entry.effective_on)?,
        };
        let stored = append_with_alert(tx, who, &stream, &programme, &new, balance, policy)?;
        streams::set_allocated(
            tx,
            (stream.id, year),
            allocated,
            new.amount,
            new.effective_on,
        )?;
        Ok(Allocated {
            entry: stored,
            stream,
            programme,
        })
    })
}

/// Records actual spend on a programme. A negative correction may not take the year's
/// spend in its category below zero.
pub fn record_spend(
    conn: &mut DbConnection,
    who: &Caller,
    programme_code: &str,
    year: FinancialYear,
    entry: &NewSpend,
) -> Result<(SpendEntry, Programme), AppError> {
    who.may(Action::ManageFunding)?;
    write_transaction(conn, |tx| {
        let programme = programmes::lock(tx, programme_code)?;
        let current = totals::for_programme_year(tx, programme.id, year)?;
        spend::check_total(
            entry.category,
            year,
            current.spent(entry.category),
            entry.amount,
        )?;
        totals::year_spend(tx, year, entry.category)?
            .check_total_within_limit(
                entry.amount,
                &format!("the register's {} spend for {year}", entry.category),
            )
            .map_err(|message| AppError::field("amount_pence", message))?;
        let by = (who.user_id(), effective(entry.effective_on)?);
        let stored = beacon_db::spend::append(tx, &who.actor, programme.id, year, entry, by)?;
        Ok((stored, programme))
    })
}
