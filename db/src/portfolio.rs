//! The portfolio at a glance: every programme's rating and its money for one year,
//! read from the yearly totals rather than summed from the ledger.

use beacon_core::{FinancialYear, Pence, Rating};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::models::stored;
use crate::schema::{programme_year_totals as totals, programmes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortfolioLine {
    pub code: String,
    pub name: String,
    pub rating: Option<Rating>,
    pub rating_since: Option<NaiveDateTime>,
    pub allocated: Pence,
    pub spent_run: Pence,
    pub spent_change: Pence,
}

type LineRow = (
    String,
    String,
    Option<String>,
    Option<NaiveDateTime>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Every programme, by code, with its allocation and spend in `year`.
pub fn for_year(
    conn: &mut DbConnection,
    year: FinancialYear,
) -> Result<Vec<PortfolioLine>, DbError> {
    let rows: Vec<LineRow> = programmes::table
        .left_join(
            totals::table.on(totals::programme_id
                .eq(programmes::id)
                .and(totals::financial_year.eq(year.start_year()))),
        )
        .order(programmes::code.asc())
        .select((
            programmes::code,
            programmes::name,
            programmes::current_rating,
            programmes::rating_since,
            totals::allocated_pence.nullable(),
            totals::spent_run_pence.nullable(),
            totals::spent_change_pence.nullable(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(code, name, rating, rating_since, allocated, run, change)| {
                Ok(PortfolioLine {
                    rating: rating.as_deref().map(|r| stored(r, "rating")).transpose()?,
                    code,
                    name,
                    rating_since,
                    allocated: Pence::new(allocated.unwrap_or(0)),
                    spent_run: Pence::new(run.unwrap_or(0)),
                    spent_change: Pence::new(change.unwrap_or(0)),
                })
            },
        )
        .collect()
}
