//! Funding summaries: envelopes, allocations and spend added up by financial year,
//! stream, programme or sponsor, or several of those at once, now or at the end of a
//! past day. The totals equal the sums of the funding history's entries up to the same
//! day.

use std::collections::{BTreeMap, HashMap};

use beacon_core::{FinancialYear, MoneyError, Pence};
use beacon_db::days::{self, EnvelopeDay};
use beacon_db::ledger::{self, Holding};
use beacon_db::records::YearTotals;
use beacon_db::{DbConnection, programmes, streams};
use chrono::NaiveDate;

use super::{AppError, AsOf};

/// One way to divide the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    FinancialYear,
    Stream,
    Programme,
    Sponsor,
}

impl Dimension {
    pub const WORDS: [&'static str; 4] = ["financial_year", "stream", "programme", "sponsor"];
    const ALL: [Dimension; 4] = [
        Dimension::FinancialYear,
        Dimension::Stream,
        Dimension::Programme,
        Dimension::Sponsor,
    ];

    pub fn as_str(self) -> &'static str {
        Self::WORDS[self as usize]
    }

    fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == word.trim())
    }
}

/// The dimensions a summary groups by, in order: one to four, each at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBy(Vec<Dimension>);

impl GroupBy {
    pub fn one(dimension: Dimension) -> Self {
        GroupBy(vec![dimension])
    }

    /// `financial_year,stream,programme`, or what to type instead.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut dimensions = Vec::new();
        for word in text.split(',') {
            let dimension = Dimension::parse(word).ok_or_else(|| {
                format!(
                    "'{}' is not a grouping; use one or more of {}, separated by commas",
                    word.trim(),
                    Dimension::WORDS.join(", ")
                )
            })?;
            if dimensions.contains(&dimension) {
                return Err(format!("'{}' is named twice", dimension.as_str()));
            }
            dimensions.push(dimension);
        }
        Ok(GroupBy(dimensions))
    }

    pub fn dimensions(&self) -> &[Dimension] {
        &self.0
    }

    pub fn as_str(&self) -> String {
        let words: Vec<&str> = self.0.iter().map(|d| d.as_str()).collect();
        words.join(",")
    }

    fn has(&self, dimension: Dimension) -> bool {
        self.0.contains(&dimension)
    }

    /// Envelopes belong to streams; spend is recorded against programmes. A grouping
    /// shows what can be attributed to it.
    fn has_envelopes(&self) -> bool {
        !self.has(Dimension::Programme) && !self.has(Dimension::Sponsor)
    }

    fn has_spend(&self) -> bool {
        !self.has(Dimension::Stream)
    }
}

/// One group's money; `None` where the grouping cannot carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// The group's value in each dimension, in the grouping's order: the year
    /// (`2025-26`), stream code, programme code or sponsor. Empty for the totals.
    pub group: Vec<(Dimension, String)>,
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
    /// The day the money is as recorded by, when not now.
    pub known_as_of: Option<NaiveDate>,
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

    fn row(
        &self,
        group: Vec<(Dimension, String)>,
        envelopes: bool,
        spend: bool,
    ) -> Result<SummaryRow, MoneyError> {
        let spent = self.run.checked_add(self.change)?;
        Ok(SummaryRow {
            group,
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
    let envelopes = days::envelopes_as_of(conn, as_of.when(), scope)?;
    let money = days::programmes_as_of(conn, as_of.when(), scope)?;
    let mut totals = Sums::default();
    for e in &envelopes {
        totals.add_envelope(e).map_err(overflowed)?;
    }
    for m in &money {
        totals.add_spend(m).map_err(overflowed)?;
    }
    let groups = grouped(conn, &group_by, (&envelopes, &money), year, as_of)?;
    let (envelopes_shown, spend_shown) = (group_by.has_envelopes(), group_by.has_spend());
    let groups = groups
        .into_iter()
        .map(|(key, sums)| {
            let group = group_by.dimensions().iter().copied().zip(key).collect();
            sums.row(group, envelopes_shown, spend_shown)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(overflowed)?;
    Ok(Summary {
        group_by,
        as_of: as_of.day,
        known_as_of: as_of.known_on,
        year,
        groups,
        totals: totals.row(Vec::new(), true, true).map_err(overflowed)?,
    })
}

/// The money in groups, keyed by each group's values in the grouping's dimensions.
fn grouped(
    conn: &mut DbConnection,
    group_by: &GroupBy,
    (envelopes, money): (&[EnvelopeDay], &[YearTotals]),
    year: Option<FinancialYear>,
    as_of: AsOf,
) -> Result<BTreeMap<Vec<String>, Sums>, AppError> {
    let names = Names::read(conn)?;
    let mut groups: BTreeMap<Vec<String>, Sums> = BTreeMap::new();
    let mut add = |at: Place, change: &dyn Fn(&mut Sums) -> Result<(), MoneyError>| {
        let key = group_by
            .dimensions()
            .iter()
            .map(|&d| names.of(d, at))
            .collect();
        change(groups.entry(key).or_default()).map_err(overflowed)
    };
    if group_by.has_envelopes() {
        for e in envelopes {
            add(Place::envelope(e), &|sums| sums.add_envelope(e))?;
        }
    }
    if group_by.has_spend() {
        // Allocations come with the envelopes when those are shown.
        let with_allocations = !group_by.has_envelopes();
        for m in money {
            add(Place::programme(m), &|sums| {
                if with_allocations {
                    sums.allocated = sums.allocated.checked_add(m.allocated)?;
                }
                sums.add_spend(m)
            })?;
        }
    }
    if !group_by.has_envelopes() && !group_by.has_spend() {
        // Stream and programme (or sponsor) together: what each programme holds from
        // each stream, which only the ledger itself says.
        for h in ledger::holdings_as_of(conn, as_of.when(), year)? {
            add(Place::holding(&h), &|sums| {
                sums.allocated = sums.allocated.checked_add(h.amount)?;
                Ok(())
            })?;
        }
    }
    Ok(groups)
}

/// Where a sum of money sits: its year, and the stream or programme it belongs to
/// where it has one.
#[derive(Clone, Copy)]
struct Place {
    year: FinancialYear,
    stream_id: Option<i64>,
    programme_id: Option<i64>,
}

impl Place {
    fn envelope(e: &EnvelopeDay) -> Self {
        Place {
            year: e.year,
            stream_id: Some(e.stream_id),
            programme_id: None,
        }
    }

    fn programme(m: &YearTotals) -> Self {
        Place {
            year: m.year,
            stream_id: None,
            programme_id: Some(m.programme_id),
        }
    }

    fn holding(h: &Holding) -> Self {
        Place {
            year: h.year,
            stream_id: Some(h.stream_id),
            programme_id: Some(h.programme_id),
        }
    }
}

/// Streams' codes, and programmes' codes and sponsors, by id.
struct Names {
    streams: HashMap<i64, String>,
    programmes: HashMap<i64, (String, String)>,
}

impl Names {
    fn read(conn: &mut DbConnection) -> Result<Self, AppError> {
        let streams = streams::list(conn)?
            .into_iter()
            .map(|s| (s.id, s.code.to_string()))
            .collect();
        let programmes = programmes::list(conn)?
            .into_iter()
            .map(|p| (p.id, (p.code.to_string(), p.sponsor)))
            .collect();
        Ok(Names {
            streams,
            programmes,
        })
    }

    /// The place's value in one dimension. Each grouping reads only places that have
    /// every dimension it names.
    fn of(&self, dimension: Dimension, at: Place) -> String {
        let programme = at.programme_id.and_then(|id| self.programmes.get(&id));
        match dimension {
            Dimension::FinancialYear => at.year.to_string(),
            Dimension::Stream => at
                .stream_id
                .map(|id| {
                    self.streams
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| id.to_string())
                })
                .unwrap_or_default(),
            Dimension::Programme => programme.map(|p| p.0.clone()).unwrap_or_default(),
            Dimension::Sponsor => programme.map(|p| p.1.clone()).unwrap_or_default(),
        }
    }
}
