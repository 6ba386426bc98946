//! The whole portfolio on one date: every programme's rating and money for a financial
//! year, with counts by rating and totals, as it stood at the end of that day.

use actix_web::{HttpRequest, HttpResponse, get, web};
use beacon_core::{FinancialYear, Rating};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::csv_export;
use super::params::{optional, utc};
use super::problem::ApiError;
use super::state::AppState;
use crate::app::portfolio::{self, Portfolio};
use crate::app::{AsOf, Caller};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PortfolioQuery {
    /// YYYY-MM-DD, today or earlier (default today): the portfolio at the end of that
    /// (UTC) day.
    pub as_of: Option<String>,
    /// YYYY-MM-DD, today or earlier: with `as_of`, money as recorded by the end of this
    /// (UTC) day rather than now, so entries recorded later with an earlier effective
    /// date are left out and the answer never changes. Alone, `as_of` is today.
    pub known_as_of: Option<String>,
    /// The year whose money to show, e.g. `2025-26` (default: the year `as_of` falls in).
    pub financial_year: Option<String>,
    /// `csv` for the programmes as CSV, one row each with `as_of` and `financial_year`
    /// beside the JSON's fields; or send `Accept: text/csv`.
    pub format: Option<String>,
}

/// A line as a CSV row: the day and year beside it, as the JSON has them above.
#[derive(Serialize)]
pub(crate) struct CsvLine<'a> {
    as_of: NaiveDate,
    financial_year: &'a str,
    #[serde(flatten)]
    line: &'a PortfolioLine,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioLine {
    #[schema(example = "pnd-transformation")]
    pub code: String,
    pub name: String,
    #[schema(example = "Home Office")]
    pub sponsor: String,
    #[schema(example = "delivery")]
    pub stage: String,
    /// The latest rating reported by then; null when none had been.
    #[schema(example = "red")]
    pub rating: Option<String>,
    pub rating_since: Option<DateTime<Utc>>,
    #[schema(example = 5_950_000_000_i64)]
    pub allocated_pence: i64,
    pub spent_run_pence: i64,
    pub spent_change_pence: i64,
    /// What cuts to envelopes had withdrawn from it for the year.
    pub shortfall_pence: i64,
    #[schema(example = "data-and-intelligence")]
    pub capability_area: String,
    /// The force leading it, if one does.
    #[schema(example = "metropolitan")]
    pub lead_force: Option<String>,
    /// The rating it held before the current one; null when it has had only one.
    #[schema(example = "amber_red")]
    pub previous_rating: Option<String>,
    /// When its latest status report by then was made.
    pub last_reported_at: Option<DateTime<Utc>>,
}

/// How many programmes held each rating.
#[derive(Serialize, ToSchema, Default, Debug, PartialEq, Eq)]
pub struct RatingCounts {
    pub red: i64,
    pub amber_red: i64,
    pub amber: i64,
    pub amber_green: i64,
    pub green: i64,
    /// Registered but not yet rated.
    pub unrated: i64,
}

#[derive(Serialize, ToSchema, Default)]
pub struct PortfolioTotals {
    #[schema(example = 61)]
    pub programmes: i64,
    pub allocated_pence: i64,
    pub spent_run_pence: i64,
    pub spent_change_pence: i64,
    pub shortfall_pence: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioView {
    #[schema(example = "2025-03-31")]
    pub as_of: NaiveDate,
    /// With `known_as_of`: the money is as recorded by the end of that day.
    pub known_as_of: Option<NaiveDate>,
    #[schema(example = "2024-25")]
    pub financial_year: String,
    pub counts: RatingCounts,
    pub totals: PortfolioTotals,
    /// In code order.
    pub programmes: Vec<PortfolioLine>,
}

/// The portfolio as it stood at the end of a day: every programme registered or rated
/// by then, its rating and its money for the year, counts by rating and totals. A
/// later change never alters a past day's answer.
#[utoipa::path(operation_id = "get_portfolio", tag = "portfolio", security(("bearer" = [])), params(PortfolioQuery), responses(
    (status = 200, description = "The portfolio, or its programmes as CSV", content(
        (PortfolioView = "application/json"),
        (String = "text/csv"),
    )),
    (status = 422, description = "as_of is not a date or is in the future, or financial_year is malformed", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/portfolio")]
pub async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    _who: Caller,
    query: web::Query<PortfolioQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = csv_export::wanted(&request, query.format.as_deref())?;
    let as_of = super::params::as_of_known(query.as_of.as_deref(), query.known_as_of.as_deref())?
        .unwrap_or_else(AsOf::today);
    let year = optional::<FinancialYear>("financial_year", query.financial_year.as_deref())?;
    let portfolio = state
        .db(move |conn| Ok(portfolio::portfolio(conn, as_of, year)?))
        .await?;
    let view = PortfolioView::from(portfolio);
    if !csv {
        return Ok(HttpResponse::Ok().json(view));
    }
    let (filename, rows) = csv_rows(&view);
    csv_export::table(&filename, &rows)
}

/// The programmes as CSV rows, and the name a file of them takes.
pub(crate) fn csv_rows(view: &PortfolioView) -> (String, Vec<CsvLine<'_>>) {
    let rows = view
        .programmes
        .iter()
        .map(|line| CsvLine {
            as_of: view.as_of,
            financial_year: &view.financial_year,
            line,
        })
        .collect();
    let filename = format!(
        "beacon-portfolio-{}-{}.csv",
        view.as_of, view.financial_year
    );
    (filename, rows)
}

impl From<Portfolio> for PortfolioView {
    fn from(p: Portfolio) -> Self {
        let count = |rating| p.counts.of(rating);
        PortfolioView {
            as_of: p.as_of,
            known_as_of: p.known_as_of,
            financial_year: p.year.to_string(),
            counts: RatingCounts {
                red: count(Rating::Red),
                amber_red: count(Rating::AmberRed),
                amber: count(Rating::Amber),
                amber_green: count(Rating::AmberGreen),
                green: count(Rating::Green),
                unrated: p.counts.unrated,
            },
            totals: PortfolioTotals {
                programmes: p.totals.programmes,
                allocated_pence: p.totals.allocated.get(),
                spent_run_pence: p.totals.spent_run.get(),
                spent_change_pence: p.totals.spent_change.get(),
                shortfall_pence: p.totals.shortfall.get(),
            },
            programmes: p
                .lines
                .into_iter()
                .map(|line| PortfolioLine {
                    code: line.code.to_string(),
                    name: line.name,
                    sponsor: line.sponsor,
                    stage: line.stage.to_string(),
                    rating: line.rating.map(|r| r.to_string()),
                    rating_since: line.rating_since.map(utc),
                    allocated_pence: line.allocated.get(),
                    spent_run_pence: line.spent_run.get(),
                    spent_change_pence: line.spent_change.get(),
                    shortfall_pence: line.shortfall.get(),
                    capability_area: line.capability_area.to_string(),
                    lead_force: line.lead_force.map(|f| f.to_string()),
                    previous_rating: line.previous_rating.map(|r| r.to_string()),
                    last_reported_at: line.last_reported_at.map(utc),
                })
                .collect(),
        }
    }
}
