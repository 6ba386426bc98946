//! Funding summaries: envelopes, allocations and spend added up by financial year,
//! stream, programme or sponsor, now or at the end of a past day. The totals equal the
//! sums of the funding history's entries up to the same day.

use std::collections::{BTreeMap, HashMap};

use beacon_core::{FinancialYear, MoneyError, Pence};
use beacon_db::days::{self, EnvelopeDay};
use beacon_db::records::YearTotals;
use beacon_db::{DbConnection, programmes, streams};
use chrono::NaiveDate;

use super::{AppError, AsOf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    FinancialYear,
    Stream,
    Programme,
    Sponsor,
}

impl GroupBy {
    pub const WORDS: [&'static str; 4] = ["financial_year", "stream", "programme", "sponsor"];

    pub fn parse(word: &str) -> Option<Self> {
        match word.trim() {
            "financial_year" => Some(GroupBy::FinancialYear),
            "stream" => Some(GroupBy::Stream),
            "programme" => Some(GroupBy::Programme),
            "sponsor" => Some(GroupBy::Sponsor),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::FinancialYear => "financial_year",
            GroupBy::Stream => "stream",
            GroupBy::Programme => "programme",
            GroupBy::Sponsor => "sponsor",
        }
    }

    /// Envelopes belong to streams; spend is recorded against programmes. A grouping
    /// shows what can be attributed to it.
    fn has_envelopes(self) -> bool {
        matches!(self, GroupBy::FinancialYear | GroupBy::Stream)
    }

    fn has_spend(self) -> bool {
        !matches!(self, GroupBy::Stream)
    }
}

/// One group's money; `None` where the grouping cannot carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// The year (`2025-26`), stream code, programme code or sponsor; `total` for the totals.
    pub key: String,
    pub envelope: Option<Pence>,
    pub allocated: Pence,
    pub spent_run: Option<Pence>,
    pub spent_change: Option<Pence>,
    /// Envelope less allocated: what is left to allocate.
    pub headroom: Option<Pence>,
    /// Run spend as a share of all spend, 0 to 1, to four places; `None` with no spend.
    pub run_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub group_by: GroupBy,
    pub as_of: NaiveDate,
    pub year: Option<FinancialYear>,
    /// In key order.
    pub groups: Vec<SummaryRow>,
    pub totals: SummaryRow,
}

#[derive(Default)]
struct Sums {
    envelope: Pence,
    allocated: Pence,
    run: Pence,
    change: Pence,
}

impl Sums {
    fn add_envelope(&mut self, e: &EnvelopeDay) -> Result<(), MoneyError> {
        self.envelope = self.envelope.checked_add(e.amount)?;
        self.allocated = self.allocated.checked_add(e.allocated)?;
        Ok(())
    }

    fn add_spend(&mut self, m: &YearTotals) -> Result<(), MoneyError> {
        self.run = self.run.checked_add(m.spent_run)?;
        self.change = self.change.checked_add(m.spent_change)?;
        Ok(())
    }

    fn row(&self, key: String, envelopes: bool, spend: bool) -> Result<SummaryRow, MoneyError> {
        let spent = self.run.checked_add(self.change)?;
        Ok(SummaryRow {
            key,
            envelope: envelopes.then_some(self.envelope),
            allocated: self.allocated,
            spent_run: spend.then_some(self.run),
            spent_change: spend.then_some(self.change),
            headroom: envelopes
                .then(|| self.envelope.checked_sub(self.allocated))
                .transpose()?,
            // A ratio, not money: rounded to four places for reading.
            run_share: (spend && spent > Pence::ZERO).then(|| {
                (self.run.get() as f64 / spent.get() as f64 * 10_000.0).round() / 10_000.0
            }),
        })
    }
}

fn overflowed(error: MoneyError) -> AppError {
    AppError::Internal(format!("a summary total: {error}"))
}

/// Envelopes, allocations and spend by `group_by`, for one year or all, at the end of
/// `as_of`.
pub fn summary(
    conn: &mut DbConnection,
    group_by: GroupBy,
    year: Option<FinancialYear>,
    as_of: AsOf,
) -> Result<Summary, AppError> {
    let scope = days::Scope { year, ids: None };
    let envelopes = days::envelopes_as_of(conn, as_of.day, scope)?;
    let money = days::programmes_as_of(conn, as_of.day, scope)?;
    let mut totals = Sums::default();
    for e in &envelopes {
        totals.add_envelope(e).map_err(overflowed)?;
    }
    for m in &money {
        totals.add_spend(m).map_err(overflowed)?;
    }
    let groups = match group_by {
        GroupBy::FinancialYear | GroupBy::Stream => by_envelope(conn, group_by, &envelopes, &money),
        GroupBy::Programme | GroupBy::Sponsor => by_programme(conn, group_by, &money),
    }?;
    let groups = groups
        .into_iter()
        .map(|(key, sums)| sums.row(key, group_by.has_envelopes(), group_by.has_spend()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(overflowed)?;
    Ok(Summary {
        group_by,
        as_of: as_of.day,
        year,
        groups,
        totals: totals
            .row("total".to_string(), true, true)
            .map_err(overflowed)?,
    })
}

fn by_envelope(
    conn: &mut DbConnection,
    group_by: GroupBy,
    envelopes: &[EnvelopeDay],
    money: &[YearTotals],
) -> Result<BTreeMap<String, Sums>, AppError> {
    let codes: HashMap<i64, String> = streams::list(conn)?
        .into_iter()
        .map(|s| (s.id, s.code.to_string()))
        .collect();
    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    for e in envelopes {
        let key = match group_by {
            GroupBy::Stream => codes
                .get(&e.stream_id)
                .cloned()
                .unwrap_or_else(|| e.stream_id.to_string()),
            _ => e.year.to_string(),
        };
        groups
            .entry(key)
            .or_default()
            .add_envelope(e)
            .map_err(overflowed)?;
    }
    if group_by == GroupBy::FinancialYear {
        for m in money {
            groups
                .entry(m.year.to_string())
                .or_default()
                .add_spend(m)
                .map_err(overflowed)?;
        }
    }
    Ok(groups)
}

fn by_programme(
    conn: &mut DbConnection,
    group_by: GroupBy,
    money: &[YearTotals],
) -> Result<BTreeMap<String, Sums>, AppError> {
    let keys: HashMap<i64, String> = programmes::list(conn)?
        .into_iter()
        .map(|p| {
            let key = match group_by {
                GroupBy::Programme => p.code.to_string(),
                _ => p.sponsor,
            };
            (p.id, key)
        })
        .collect();
    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    for m in money {
        let key = keys
            .get(&m.programme_id)
            .cloned()
            .unwrap_or_else(|| m.programme_id.to_string());
        let sums = groups.entry(key).or_default();
        sums.allocated = sums
            .allocated
            .checked_add(m.allocated)
            .map_err(overflowed)?;
        sums.add_spend(m).map_err(overflowed)?;
    }
    Ok(groups)
}
