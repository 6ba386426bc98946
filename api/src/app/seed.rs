//! Loading the public seed data (`beacon_db::seed`) through the same use cases as
//! everything else, so seeded records obey the same rules. Each record is added only
//! if it is missing: seeding twice changes nothing, and a record someone has since
//! edited is left as they left it.

use beacon_core::{Envelope, NewLedgerEntry, NewSpend};
use beacon_db::seed::SeedData;
use beacon_db::status_reports::Provenance;
use beacon_db::{DbConnection, Tx, ledger, programmes, status_reports, streams, write_transaction};

use super::alerts::Policy;
use super::{AppError, Caller, funding, reports};

/// How many records of each kind one run added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Added {
    pub forces: usize,
    pub programmes: usize,
    pub status_reports: usize,
    pub funding_streams: usize,
    pub envelopes: usize,
    pub allocations: usize,
    pub spend: usize,
}

impl Added {
    pub fn total(&self) -> usize {
        self.forces
            + self.programmes
            + self.status_reports
            + self.funding_streams
            + self.envelopes
            + self.allocations
            + self.spend
    }
}

/// Loads everything that is missing, in one transaction: a failure leaves nothing.
/// Published history raises no alerts: it was news long ago.
pub fn load(conn: &mut DbConnection) -> Result<Added, AppError> {
    let data = beacon_db::seed::data()?;
    let who = Caller::system("beacon seed");
    write_transaction(conn, |tx| {
        // Fields are evaluated in order: forces before the programmes that name them,
        // streams and envelopes before the allocations drawn from them.
        Ok(Added {
            forces: forces(tx, &who, &data)?,
            programmes: register(tx, &who, &data)?,
            status_reports: ratings(tx, &who, &data)?,
            funding_streams: funding_streams(tx, &who, &data)?,
            envelopes: envelopes(tx, &who, &data)?,
            allocations: allocations(tx, &who, &data)?,
            spend: spend(tx, &who, &data)?,
        })
    })
}

fn forces(tx: &mut Tx<'_>, who: &Caller, data: &SeedData) -> Result<usize, AppError> {
    let mut added = 0;
    for force in &data.forces {
        added += usize::from(beacon_db::forces::insert_if_missing(tx, &who.actor, force)?);
    }
    Ok(added)
}

fn register(tx: &mut Tx<'_>, who: &Caller, data: &SeedData) -> Result<usize, AppError> {
    let mut added = 0;
    for programme in &data.programmes {
        if programmes::find_by_code(tx, programme.code.as_str())?.is_none() {
            super::programmes::register(tx, who, programme)?;
            added += 1;
        }
    }
    Ok(added)
}

fn ratings(tx: &mut Tx<'_>, who: &Caller, data: &SeedData) -> Result<usize, AppError> {
    let mut added = 0;
    for published in &data.reports {
        let programme = programmes::lock(tx, published.programme.as_str())?;
        if status_reports::exists(tx, programme.id, published.reported_at, &published.source)? {
            continue;
        }
        let provenance = Provenance {
            reported_by: None,
            reported_at: published.reported_at,
            source: &published.source,
        };
        reports::record(
            tx,
            &who.actor,
            programme,
            &published.report,
            &provenance,
            &Policy::off(),
        )?;
        added += 1;
    }
    Ok(added)
}

fn funding_streams(tx: &mut Tx<'_>, who: &Caller, data: &SeedData) -> Result<usize, AppError> {
    let mut added = 0;
    for stream in &data.streams {
        if streams::find(tx, stream.code.as_str())?.is_none() {
            funding::create_stream(tx, who, stream)?;
            added += 1;
        }
    }
    Ok(added)
}

fn envelopes(tx: &mut Tx<'_>, who: &Caller, data: &SeedData) -> Result<usize, AppError> {
    let mut added = 0;
    for seeded in &data.envelopes {
        let stream = streams::get(tx, seeded.stream.as_str())?;
        if streams::find_envelope(tx, stream.id, seeded.envelope.year)?.is_none() {
            let code = seeded.stream.as_str();
            let envelope = Envelope {
                effective_on: Some(taking_effect(seeded.envelope.year.first_day())),
                ..seeded.envelope
            };
            funding::set_envelope(tx, who, code, &envelope, &seeded.basis, &[], &Policy::off())?;
            added += 1;
        }
    }
    Ok(added)
}

fn allocations(tx: &mut Tx<'_>, who: &Caller, data: &SeedData) -> Result<usize, AppError> {
    let mut added = 0;
    for seeded in &data.allocations {
        let stream = streams::get(tx, seeded.stream.as_str())?;
        let programme = programmes::get_by_code(tx, seeded.programme.as_str())?;
        let entry = &seeded.entry;
        if ledger::exists(
            tx,
            stream.id,
            programme.id,
            seeded.year,
            entry.amount,
            &entry.reason,
        )? {
            continue;
        }
        let (stream, programme) = (seeded.stream.as_str(), seeded.programme.as_str());
        let entry = NewLedgerEntry {
            effective_on: Some(taking_effect(seeded.year.first_day())),
            ..entry.clone()
        };
        funding::record_entry(
            tx,
            who,
            stream,
            programme,
            seeded.year,
            &entry,
            &Policy::off(),
        )?;
        added += 1;
    }
    Ok(added)
}

fn spend(tx: &mut Tx<'_>, who: &Caller, data: &SeedData) -> Result<usize, AppError> {
    let mut added = 0;
    for seeded in &data.spend {
        let programme = programmes::get_by_code(tx, seeded.programme.as_str())?;
        if beacon_db::spend::exists(tx, programme.id, seeded.year, &seeded.spend)? {
            continue;
        }
        let spend = NewSpend {
            effective_on: Some(taking_effect(seeded.year.last_day())),
            ..seeded.spend.clone()
        };
        funding::record_spend(tx, who, seeded.programme.as_str(), seeded.year, &spend)?;
        added += 1;
    }
    Ok(added)
}

/// The day published money takes effect: money for a year from its first day, spend
/// (an outturn) on its last; a day after today (an envelope for a later year) is
/// today, when Beacon learns of it.
fn taking_effect(day: chrono::NaiveDate) -> chrono::NaiveDate {
    day.min(chrono::Utc::now().date_naive())
}
