//! The whole portfolio on one date: every programme's rating and money for a financial
//! year, with counts by rating and totals, as it stood at the end of that day.

use std::collections::HashMap;

use beacon_core::{
    CapabilityArea, FinancialYear, ForceId, MoneyError, Pence, ProgrammeCode, Rating, Stage,
};
use beacon_db::past::RatingAt;
use beacon_db::records::{Programme, YearTotals};
use beacon_db::{DbConnection, days, ledger};
use chrono::{NaiveDate, NaiveDateTime};

use super::register::{PastRegister, past_register};
use super::{AppError, AsOf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioLine {
    pub code: ProgrammeCode,
    pub name: String,
    pub sponsor: String,
    pub stage: Stage,
    /// The latest rating reported by then; `None` when none had been.
    pub rating: Option<Rating>,
    pub rating_since: Option<NaiveDateTime>,
    pub allocated: Pence,
    pub spent_run: Pence,
    pub spent_change: Pence,
    /// What cuts to envelopes had withdrawn from it for the year.
    pub shortfall: Pence,
    pub capability_area: CapabilityArea,
    pub lead_force: Option<ForceId>,
    /// The rating held before the current one; `None` when it has had only one.
    pub previous_rating: Option<Rating>,
    /// When its latest status report by then was made.
    pub last_reported_at: Option<NaiveDateTime>,
    /// When it was registered, from which a programme never reported on is overdue.
    pub registered_at: NaiveDateTime,
}

impl PortfolioLine {
    fn of(
        programme: Programme,
        rated: Option<&RatingAt>,
        money: YearTotals,
        shortfall: Pence,
    ) -> Self {
        PortfolioLine {
            code: programme.code,
            name: programme.name,
            sponsor: programme.sponsor,
            stage: programme.stage,
            rating: programme.rating,
            rating_since: programme.rating_since,
            allocated: money.allocated,
            spent_run: money.spent_run,
            spent_change: money.spent_change,
            shortfall,
            capability_area: programme.capability_area,
            lead_force: programme.lead_force,
            previous_rating: rated.and_then(|r| r.previous),
            last_reported_at: rated.map(|r| r.reported_at),
            registered_at: programme.created_at,
        }
    }
}

/// How many programmes held each rating, and how many none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RatingCounts {
    pub by_rating: HashMap<Rating, i64>,
    pub unrated: i64,
}

impl RatingCounts {
    pub fn of(&self, rating: Rating) -> i64 {
        self.by_rating.get(&rating).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortfolioTotals {
    pub programmes: i64,
    pub allocated: Pence,
    pub spent_run: Pence,
    pub spent_change: Pence,
    pub shortfall: Pence,
}

impl PortfolioTotals {
    fn add(&mut self, line: &PortfolioLine) -> Result<(), MoneyError> {
        self.programmes += 1;
        self.allocated = self.allocated.checked_add(line.allocated)?;
        self.spent_run = self.spent_run.checked_add(line.spent_run)?;
        self.spent_change = self.spent_change.checked_add(line.spent_change)?;
        self.shortfall = self.shortfall.checked_add(line.shortfall)?;
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portfolio {
    pub as_of: NaiveDate,
    /// The day the money is as recorded by, when not now.
    pub known_as_of: Option<NaiveDate>,
    pub year: FinancialYear,
    pub counts: RatingCounts,
    pub totals: PortfolioTotals,
    /// In code order.
    pub lines: Vec<PortfolioLine>,
}

/// The portfolio as it stood at the end of `as_of`: every programme registered or rated
/// by then, its rating and its money for `year` (the year `as_of` falls in when none).
/// A later change never alters a past day's answer.
pub fn portfolio(
    conn: &mut DbConnection,
    as_of: AsOf,
    year: Option<FinancialYear>,
) -> Result<Portfolio, AppError> {
    let year = match year {
        Some(year) => year,
        None => as_of.year()?,
    };
    let PastRegister {
        programmes,
        ratings,
        ..
    } = past_register(conn, as_of)?;
    let scope = days::Scope {
        year: Some(year),
        ids: None,
    };
    let mut money: HashMap<i64, YearTotals> = days::programmes_as_of(conn, as_of.when(), scope)?
        .into_iter()
        .map(|m| (m.programme_id, m))
        .collect();
    let shortfalls: HashMap<i64, Pence> = ledger::shortfalls(conn, Some(as_of.when()))?
        .into_iter()
        .filter(|s| s.year == year)
        .map(|s| (s.programme_id, s.amount))
        .collect();
    let mut counts = RatingCounts::default();
    let mut totals = PortfolioTotals::default();
    let mut lines = Vec::with_capacity(programmes.len());
    for programme in programmes {
        match programme.rating {
            Some(rating) => *counts.by_rating.entry(rating).or_default() += 1,
            None => counts.unrated += 1,
        }
        let m = money
            .remove(&programme.id)
            .unwrap_or_else(|| YearTotals::zero(programme.id, year));
        let shortfall = shortfalls
            .get(&programme.id)
            .copied()
            .unwrap_or(Pence::ZERO);
        let rated = ratings.get(&programme.id);
        let line = PortfolioLine::of(programme, rated, m, shortfall);
        totals
            .add(&line)
            .map_err(|e| AppError::Internal(format!("a portfolio total: {e}")))?;
        lines.push(line);
    }
    Ok(Portfolio {
        as_of: as_of.day,
        known_as_of: as_of.known_on,
        year,
        counts,
        totals,
        lines,
    })
}

/// The latest financial year with any money allocated or spent, if there is one: where
/// to look when the year asked for has none.
pub fn latest_year_with_money(conn: &mut DbConnection) -> Result<Option<FinancialYear>, AppError> {
    Ok(beacon_db::totals::latest_year_with_money(conn)?)
}
