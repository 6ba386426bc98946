//! The public facts in `db/seed/` (forces, national programmes, published ratings,
//! funding streams, envelopes, allocations and spend), read into Beacon's domain
//! types. The application loads them through its use cases, so seeded records obey
//! the same rules as any other; see `db/seed/README.md` for the sources.

use std::collections::BTreeMap;

use beacon_core::{
    Envelope, FinancialYear, Force, ForceId, FundingStream, LedgerKind, NewLedgerEntry,
    NewProgramme, NewSpend, NewStatusReport, Pence, ProgrammeCode, Rating, RawProgramme,
    SpendCategory, StreamCode,
};
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::error::DbError;

const FORCES: &str = include_str!("../seed/forces.csv");
const PROGRAMMES: &str = include_str!("../seed/programmes.csv");
const STATUS_REPORTS: &str = include_str!("../seed/status_reports.csv");
const STREAMS: &str = include_str!("../seed/funding_streams.csv");
const ENVELOPES: &str = include_str!("../seed/envelopes.csv");
const ALLOCATIONS: &str = include_str!("../seed/allocations.csv");
const SPEND: &str = include_str!("../seed/spend.csv");

/// A published rating: when its data was as at, and where it was published.
#[derive(Debug, Clone)]
pub struct PublishedReport {
    pub programme: ProgrammeCode,
    pub report: NewStatusReport,
    pub reported_at: NaiveDateTime,
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct SeedEnvelope {
    pub stream: StreamCode,
    pub envelope: Envelope,
    pub basis: String,
}

#[derive(Debug, Clone)]
pub struct SeedAllocation {
    pub stream: StreamCode,
    pub programme: ProgrammeCode,
    pub year: FinancialYear,
    pub entry: NewLedgerEntry,
}

#[derive(Debug, Clone)]
pub struct SeedSpend {
    pub programme: ProgrammeCode,
    pub year: FinancialYear,
    pub spend: NewSpend,
}

/// Everything in the seed files, in the order it loads: forces before the programmes
/// that name them, streams and envelopes before the allocations drawn from them,
/// ratings oldest first so each programme ends on its latest.
#[derive(Debug, Clone)]
pub struct SeedData {
    pub forces: Vec<Force>,
    pub programmes: Vec<NewProgramme>,
    pub reports: Vec<PublishedReport>,
    pub streams: Vec<FundingStream>,
    pub envelopes: Vec<SeedEnvelope>,
    pub allocations: Vec<SeedAllocation>,
    pub spend: Vec<SeedSpend>,
}

/// Reads every seed file; a bad row is a defect in the shipped data.
pub fn data() -> Result<SeedData, DbError> {
    Ok(SeedData {
        forces: forces()?,
        programmes: programmes()?,
        reports: reports()?,
        streams: streams()?,
        envelopes: envelopes()?,
        allocations: allocations()?,
        spend: spend()?,
    })
}

/// Reads one seed file; a bad row is a defect in the shipped data, reported by line.
fn read<T: for<'de> Deserialize<'de>>(name: &str, data: &str) -> Result<Vec<T>, DbError> {
    csv::Reader::from_reader(data.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| DbError::Corrupt(format!("seed file {name}: {e}")))
}

/// A seed value that does not parse: also a defect in the shipped data.
fn bad(name: &str, what: impl std::fmt::Display) -> DbError {
    DbError::Corrupt(format!("seed file {name}: {what}"))
}

#[derive(Deserialize)]
struct ForceRecord {
    id: String,
    name: String,
    ons_code: String,
    country: String,
}

fn forces() -> Result<Vec<Force>, DbError> {
    read::<ForceRecord>("forces.csv", FORCES)?
        .into_iter()
        .map(|record| {
            Ok(Force {
                id: ForceId::parse(&record.id).map_err(|e| bad("forces.csv", e))?,
                name: record.name,
                ons_code: record.ons_code,
                country: record.country,
            })
        })
        .collect()
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

fn programmes() -> Result<Vec<NewProgramme>, DbError> {
    read::<ProgrammeRecord>("programmes.csv", PROGRAMMES)?
        .into_iter()
        .map(|record| {
            NewProgramme::parse(RawProgramme {
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
            .map_err(|e| bad("programmes.csv", e))
        })
        .collect()
}

#[derive(Deserialize)]
struct StatusRecord {
    programme: String,
    rating: String,
    reported_on: NaiveDate,
    rationale: String,
    source: String,
}

fn reports() -> Result<Vec<PublishedReport>, DbError> {
    let mut records = read::<StatusRecord>("status_reports.csv", STATUS_REPORTS)?;
    records.sort_by_key(|r| r.reported_on);
    records
        .into_iter()
        .map(|record| {
            let bad = |e: &dyn std::fmt::Display| bad("status_reports.csv", e);
            let rating: Rating = record.rating.parse().map_err(|e| bad(&e))?;
            let report = NewStatusReport::new(
                rating,
                &record.rationale,
                record.reported_on,
                record.reported_on,
            )
            .map_err(|e| bad(&e))?;
            Ok(PublishedReport {
                programme: ProgrammeCode::parse(&record.programme).map_err(|e| bad(&e))?,
                report,
                // A published rating is dated at its data-as-at date: midnight UTC.
                reported_at: record.reported_on.and_time(chrono::NaiveTime::MIN),
                source: record.source,
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct StreamRecord {
    code: String,
    name: String,
    description: String,
}

fn streams() -> Result<Vec<FundingStream>, DbError> {
    read::<StreamRecord>("funding_streams.csv", STREAMS)?
        .into_iter()
        .map(|record| {
            FundingStream::parse(&record.code, &record.name, &record.description)
                .map_err(|e| bad("funding_streams.csv", e))
        })
        .collect()
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

fn envelopes() -> Result<Vec<SeedEnvelope>, DbError> {
    let mut by_stream: BTreeMap<String, Vec<(Years, Pence, String)>> = BTreeMap::new();
    for record in read::<EnvelopeRecord>("envelopes.csv", ENVELOPES)? {
        let years = Years::parse(&record.financial_years).map_err(|e| bad("envelopes.csv", e))?;
        by_stream.entry(record.stream).or_default().push((
            years,
            Pence::new(record.amount_pence),
            record.basis,
        ));
    }
    let mut envelopes = Vec::new();
    for (code, rows) in by_stream {
        let stream = StreamCode::parse(&code).map_err(|e| bad("envelopes.csv", e))?;
        let spread =
            spread_envelopes(&rows).map_err(|e| bad("envelopes.csv", format!("{code}: {e}")))?;
        for (year, (amount, basis)) in spread {
            envelopes.push(SeedEnvelope {
                stream: stream.clone(),
                envelope: Envelope::new(year, amount).map_err(|e| bad("envelopes.csv", e))?,
                basis,
            });
        }
    }
    Ok(envelopes)
}

#[derive(Deserialize)]
struct AllocationRecord {
    stream: String,
    programme: String,
    financial_years: String,
    amount_pence: i64,
    reason: String,
}

fn allocations() -> Result<Vec<SeedAllocation>, DbError> {
    let mut allocations = Vec::new();
    for record in read::<AllocationRecord>("allocations.csv", ALLOCATIONS)? {
        let bad = |e: &dyn std::fmt::Display| bad("allocations.csv", e);
        let stream = StreamCode::parse(&record.stream).map_err(|e| bad(&e))?;
        let programme = ProgrammeCode::parse(&record.programme).map_err(|e| bad(&e))?;
        let years: Vec<FinancialYear> = Years::parse(&record.financial_years)
            .map_err(|e| bad(&e))?
            .iter()
            .collect();
        let shares = Pence::new(record.amount_pence).split_evenly(years.len());
        for (year, amount) in years.into_iter().zip(shares) {
            allocations.push(SeedAllocation {
                stream: stream.clone(),
                programme: programme.clone(),
                year,
                entry: NewLedgerEntry::new(LedgerKind::Allocation, amount, &record.reason)
                    .map_err(|e| bad(&e))?,
            });
        }
    }
    Ok(allocations)
}

#[derive(Deserialize)]
struct SpendRecord {
    programme: String,
    financial_year: String,
    category: String,
    amount_pence: i64,
    description: String,
}

fn spend() -> Result<Vec<SeedSpend>, DbError> {
    read::<SpendRecord>("spend.csv", SPEND)?
        .into_iter()
        .map(|record| {
            let bad = |e: &dyn std::fmt::Display| bad("spend.csv", e);
            let category: SpendCategory = record.category.parse().map_err(|e| bad(&e))?;
            Ok(SeedSpend {
                programme: ProgrammeCode::parse(&record.programme).map_err(|e| bad(&e))?,
                year: record.financial_year.parse().map_err(|e| bad(&e))?,
                spend: NewSpend::new(
                    category,
                    Pence::new(record.amount_pence),
                    &record.description,
                )
                .map_err(|e| bad(&e))?,
            })
        })
        .collect()
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
    fn every_seed_file_reads_into_domain_types() {
        let data = data().unwrap();
        assert_eq!(data.forces.len(), 43);
        assert!(!data.programmes.is_empty() && !data.reports.is_empty());
        assert!(!data.envelopes.is_empty() && !data.allocations.is_empty());
        assert!(
            data.reports
                .windows(2)
                .all(|w| w[0].reported_at <= w[1].reported_at)
        );
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
