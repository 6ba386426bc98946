//! Loads the public facts in `db/seed/` (forces, national programmes, published
//! ratings, funding streams, envelopes, allocations and spend). Each record is added
//! only if it is missing, so seeding twice changes nothing, and a record someone has
//! since edited is left as they left it. See `db/seed/README.md` for the sources.

use std::collections::BTreeMap;

use beacon_core::{
    Envelope, FinancialYear, Force, ForceId, FundingStream, LedgerKind, NewLedgerEntry,
    NewProgramme, NewSpend, NewStatusReport, Pence, Rating, RawProgramme, SpendCategory,
};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::audit::Actor;
use crate::connection::{DbConnection, write_transaction};
use crate::error::DbError;
use crate::{forces, funding, programmes, spend, status_reports};

const FORCES: &str = include_str!("../seed/forces.csv");
const PROGRAMMES: &str = include_str!("../seed/programmes.csv");
const STATUS_REPORTS: &str = include_str!("../seed/status_reports.csv");
const STREAMS: &str = include_str!("../seed/funding_streams.csv");
const ENVELOPES: &str = include_str!("../seed/envelopes.csv");
const ALLOCATIONS: &str = include_str!("../seed/allocations.csv");
const SPEND: &str = include_str!("../seed/spend.csv");

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
pub fn run(conn: &mut DbConnection) -> Result<Added, DbError> {
    let actor = Actor::system("beacon seed");
    write_transaction(conn, |conn| {
        // Fields are evaluated in order: forces before the programmes that name them,
        // streams and envelopes before the allocations drawn from them.
        Ok(Added {
            forces: load_forces(conn, &actor)?,
            programmes: load_programmes(conn, &actor)?,
            status_reports: load_status_reports(conn, &actor)?,
            funding_streams: load_streams(conn, &actor)?,
            envelopes: load_envelopes(conn, &actor)?,
            allocations: load_allocations(conn, &actor)?,
            spend: load_spend(conn, &actor)?,
        })
    })
}

/// Reads one seed file; a bad row is a defect in the shipped data, reported by line.
fn read<T: for<'de> Deserialize<'de>>(name: &str, data: &str) -> Result<Vec<T>, DbError> {
    csv::Reader::from_reader(data.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| DbError::corrupt(format!("seed file {name}: {e}")))
}

/// A seed value that does not parse: also a defect in the shipped data.
fn bad(name: &str, what: impl std::fmt::Display) -> DbError {
    DbError::corrupt(format!("seed file {name}: {what}"))
}

#[derive(Deserialize)]
struct ForceRecord {
    id: String,
    name: String,
    ons_code: String,
    country: String,
}

fn load_forces(conn: &mut DbConnection, actor: &Actor) -> Result<usize, DbError> {
    let mut added = 0;
    for record in read::<ForceRecord>("forces.csv", FORCES)? {
        let force = Force {
            id: ForceId::parse(&record.id).map_err(|e| bad("forces.csv", e))?,
            name: record.name,
            ons_code: record.ons_code,
            country: record.country,
        };
        added += usize::from(forces::insert_if_missing(conn, actor, &force)?);
    }
    Ok(added)
}

#[derive(Deserialize)]
struct ProgrammeRecord {
    code: String,
    name: String,
    description: String,
    capability_area: String,
    sponsor: String,
    lead_force: String,
    stage: String,
    start_date: Option<NaiveDate>,
    planned_end_date: Option<NaiveDate>,
    whole_life_cost_pence: Option<i64>,
}

fn load_programmes(conn: &mut DbConnection, actor: &Actor) -> Result<usize, DbError> {
    let mut added = 0;
    for record in read::<ProgrammeRecord>("programmes.csv", PROGRAMMES)? {
        if programmes::find_by_code(conn, &record.code)?.is_some() {
            continue;
        }
        let programme = NewProgramme::parse(RawProgramme {
            code: record.code,
            name: record.name,
            description: record.description,
            capability_area: record.capability_area,
            sponsor: record.sponsor,
            lead_force: Some(record.lead_force),
            stage: record.stage,
            start_date: record.start_date,
            planned_end_date: record.planned_end_date,
            whole_life_cost_pence: record.whole_life_cost_pence,
        })
        .map_err(|e| bad("programmes.csv", e))?;
        programmes::create(conn, actor, &programme)?;
        added += 1;
    }
    Ok(added)
}

#[derive(Deserialize)]
struct StatusRecord {
    programme: String,
    rating: String,
    reported_on: NaiveDate,
    rationale: String,
    source: String,
}

fn load_status_reports(conn: &mut DbConnection, actor: &Actor) -> Result<usize, DbError> {
    let mut records = read::<StatusRecord>("status_reports.csv", STATUS_REPORTS)?;
    // Oldest first, so that each programme ends on its latest published rating.
    records.sort_by_key(|r| r.reported_on);
    let mut added = 0;
    for record in records {
        let programme = programmes::get_by_code(conn, &record.programme)?;
        // A published rating is dated at its data-as-at date: midnight UTC that day.
        let reported_at = record.reported_on.and_time(chrono::NaiveTime::MIN);
        if status_reports::exists(conn, programme.id, reported_at, &record.source)? {
            continue;
        }
        let rating: Rating = record
            .rating
            .parse()
            .map_err(|e| bad("status_reports.csv", e))?;
        let report = NewStatusReport::new(
            rating,
            &record.rationale,
            record.reported_on,
            record.reported_on,
        )
        .map_err(|e| bad("status_reports.csv", e))?;
        let provenance = status_reports::Provenance {
            reported_by: None,
            reported_at: Some(reported_at),
            source: &record.source,
            owners_only: false,
        };
        // Published history: these ratings were news long ago, so they raise no alerts.
        status_reports::record(
            conn,
            actor,
            programme.id,
            &report,
            &provenance,
            &crate::alerts::Policy::off(),
        )?;
        added += 1;
    }
    Ok(added)
}

#[derive(Deserialize)]
struct StreamRecord {
    code: String,
    name: String,
    description: String,
}

fn load_streams(conn: &mut DbConnection, actor: &Actor) -> Result<usize, DbError> {
    let mut added = 0;
    for record in read::<StreamRecord>("funding_streams.csv", STREAMS)? {
        if funding::find_stream(conn, &record.code)?.is_some() {
            continue;
        }
        let stream = FundingStream::parse(&record.code, &record.name, &record.description)
            .map_err(|e| bad("funding_streams.csv", e))?;
        funding::create_stream(conn, actor, &stream)?;
        added += 1;
    }
    Ok(added)
}

/// `2024-25` or an inclusive range `2024-25..2027-28`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Years {
    pub first: FinancialYear,
    pub last: FinancialYear,
}

impl Years {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (first, last) = text.split_once("..").unwrap_or((text, text));
        let first: FinancialYear = first.parse().map_err(|e| format!("{e}"))?;
        let last: FinancialYear = last.parse().map_err(|e| format!("{e}"))?;
        if last < first {
            return Err(format!("the range {text} ends before it starts"));
        }
        Ok(Years { first, last })
    }

    pub fn is_single(&self) -> bool {
        self.first == self.last
    }

    pub fn iter(&self) -> impl Iterator<Item = FinancialYear> {
        self.first.through(self.last)
    }
}

/// The range rule for envelopes. A single-year amount is that year's envelope. An
/// amount over a range, less the single-year amounts of the same stream inside the
/// range, is split evenly across the range's other years, leftover pence to the
/// earliest. Returns each year's amount and a basis that says how it was reached.
pub fn spread_envelopes(
    rows: &[(Years, Pence, String)],
) -> Result<BTreeMap<FinancialYear, (Pence, String)>, String> {
    let mut years: BTreeMap<FinancialYear, (Pence, String)> = BTreeMap::new();
    for (span, amount, basis) in rows.iter().filter(|(span, ..)| span.is_single()) {
        if years.insert(span.first, (*amount, basis.clone())).is_some() {
            return Err(format!("two single-year envelopes for {}", span.first));
        }
    }
    let singles = years.clone();
    for (span, amount, basis) in rows.iter().filter(|(span, ..)| !span.is_single()) {
        let fixed = Pence::sum(span.iter().filter_map(|y| singles.get(&y).map(|(a, _)| *a)))
            .map_err(|e| e.to_string())?;
        let rest = amount.checked_sub(fixed).map_err(|e| e.to_string())?;
        if rest.is_negative() {
            return Err(format!(
                "single years inside {}..{} exceed its total",
                span.first, span.last
            ));
        }
        let open: Vec<FinancialYear> = span.iter().filter(|y| !singles.contains_key(y)).collect();
        let note = format!(
            "{basis}: an even share of {amount} over {}..{}",
            span.first, span.last
        );
        for (year, share) in open.iter().zip(rest.split_evenly(open.len())) {
            if years.insert(*year, (share, note.clone())).is_some() {
                return Err(format!("two ranges cover {year}"));
            }
        }
    }
    Ok(years)
}

#[derive(Deserialize)]
struct EnvelopeRecord {
    stream: String,
    financial_years: String,
    amount_pence: i64,
    basis: String,
}

fn load_envelopes(conn: &mut DbConnection, actor: &Actor) -> Result<usize, DbError> {
    let mut by_stream: BTreeMap<String, Vec<(Years, Pence, String)>> = BTreeMap::new();
    for record in read::<EnvelopeRecord>("envelopes.csv", ENVELOPES)? {
        let years = Years::parse(&record.financial_years).map_err(|e| bad("envelopes.csv", e))?;
        by_stream.entry(record.stream).or_default().push((
            years,
            Pence::new(record.amount_pence),
            record.basis,
        ));
    }
    let mut added = 0;
    for (code, rows) in by_stream {
        let stream = funding::get_stream(conn, &code)?;
        for (year, (amount, basis)) in
            spread_envelopes(&rows).map_err(|e| bad("envelopes.csv", format!("{code}: {e}")))?
        {
            if funding::find_envelope(conn, stream.id, year)?.is_some() {
                continue;
            }
            let envelope = Envelope::new(year, amount).map_err(|e| bad("envelopes.csv", e))?;
            funding::set_envelope(
                conn,
                actor,
                stream.id,
                &envelope,
                &basis,
                &[],
                &crate::alerts::Policy::off(),
            )?;
            added += 1;
        }
    }
    Ok(added)
}

#[derive(Deserialize)]
struct AllocationRecord {
    stream: String,
    programme: String,
    financial_years: String,
    amount_pence: i64,
    reason: String,
}

fn load_allocations(conn: &mut DbConnection, actor: &Actor) -> Result<usize, DbError> {
    let mut added = 0;
    for record in read::<AllocationRecord>("allocations.csv", ALLOCATIONS)? {
        let stream = funding::get_stream(conn, &record.stream)?;
        let programme = programmes::get_by_code(conn, &record.programme)?;
        let years = Years::parse(&record.financial_years).map_err(|e| bad("allocations.csv", e))?;
        let year_list: Vec<FinancialYear> = years.iter().collect();
        let shares = Pence::new(record.amount_pence).split_evenly(year_list.len());
        for (year, amount) in year_list.into_iter().zip(shares) {
            let entry = NewLedgerEntry::new(LedgerKind::Allocation, amount, &record.reason)
                .map_err(|e| bad("allocations.csv", e))?;
            if funding::entry_exists(conn, stream.id, programme.id, year, amount, &entry.reason)? {
                continue;
            }
            funding::record_entry(
                conn,
                actor,
                stream.id,
                programme.id,
                year,
                &entry,
                None,
                &crate::alerts::Policy::off(),
            )?;
            added += 1;
        }
    }
    Ok(added)
}

#[derive(Deserialize)]
struct SpendRecord {
    programme: String,
    financial_year: String,
    category: String,
    amount_pence: i64,
    description: String,
}

fn load_spend(conn: &mut DbConnection, actor: &Actor) -> Result<usize, DbError> {
    let mut added = 0;
    for record in read::<SpendRecord>("spend.csv", SPEND)? {
        let programme = programmes::get_by_code(conn, &record.programme)?;
        let year: FinancialYear = record
            .financial_year
            .parse()
            .map_err(|e| bad("spend.csv", e))?;
        let category: SpendCategory = record.category.parse().map_err(|e| bad("spend.csv", e))?;
        let entry = NewSpend::new(
            category,
            Pence::new(record.amount_pence),
            &record.description,
        )
        .map_err(|e| bad("spend.csv", e))?;
        if spend::exists(conn, programme.id, year, &entry)? {
            continue;
        }
        spend::record(conn, actor, programme.id, year, &entry, None)?;
        added += 1;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn years(text: &str) -> Years {
        Years::parse(text).unwrap()
    }

    #[test]
    fn a_range_less_its_single_years_is_shared_by_the_rest() {
        let rows = vec![
            (
                years("2024-25..2027-28"),
                Pence::new(23_400_000_000),
                "over four years".to_string(),
            ),
            (
                years("2024-25"),
                Pence::new(5_550_000_000),
                "in year".to_string(),
            ),
        ];
        let spread = spread_envelopes(&rows).unwrap();
        let amounts: Vec<(String, i64)> = spread
            .iter()
            .map(|(y, (a, _))| (y.to_string(), a.get()))
            .collect();
        assert_eq!(
            amounts,
            [
                ("2024-25".to_string(), 5_550_000_000),
                ("2025-26".to_string(), 5_950_000_000),
                ("2026-27".to_string(), 5_950_000_000),
                ("2027-28".to_string(), 5_950_000_000),
            ]
        );
        assert!(
            spread
                .values()
                .nth(1)
                .unwrap()
                .1
                .contains("an even share of £234,000,000.00")
        );
    }

    #[test]
    fn leftover_pence_go_to_the_earliest_years() {
        let rows = vec![(years("2024-25..2026-27"), Pence::new(100), "x".to_string())];
        let amounts: Vec<i64> = spread_envelopes(&rows)
            .unwrap()
            .values()
            .map(|(a, _)| a.get())
            .collect();
        assert_eq!(amounts, [34, 33, 33]);
    }

    #[test]
    fn single_years_larger_than_their_range_are_refused() {
        let rows = vec![
            (years("2024-25..2025-26"), Pence::new(100), "x".to_string()),
            (years("2024-25"), Pence::new(101), "y".to_string()),
        ];
        assert!(spread_envelopes(&rows).is_err());
    }

    #[test]
    fn ranges_parse_inclusively() {
        assert_eq!(years("2016-17..2018-19").iter().count(), 3);
        assert!(Years::parse("2018-19..2016-17").is_err());
        assert!(Years::parse("2018-19..").is_err());
    }

    #[test]
    fn every_seed_file_parses() {
        assert_eq!(read::<ForceRecord>("forces.csv", FORCES).unwrap().len(), 43);
        assert!(
            !read::<ProgrammeRecord>("programmes.csv", PROGRAMMES)
                .unwrap()
                .is_empty()
        );
        assert!(
            !read::<StatusRecord>("status_reports.csv", STATUS_REPORTS)
                .unwrap()
                .is_empty()
        );
        assert!(
            !read::<StreamRecord>("funding_streams.csv", STREAMS)
                .unwrap()
                .is_empty()
        );
        assert!(
            !read::<EnvelopeRecord>("envelopes.csv", ENVELOPES)
                .unwrap()
                .is_empty()
        );
        assert!(
            !read::<AllocationRecord>("allocations.csv", ALLOCATIONS)
                .unwrap()
                .is_empty()
        );
        assert!(!read::<SpendRecord>("spend.csv", SPEND).unwrap().is_empty());
    }
}
