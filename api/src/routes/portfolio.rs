//! The whole portfolio on one date: every programme's rating and money for a financial
//! year, with counts by rating and totals, as it stood at the end of that day.

use std::collections::HashMap;

use actix_web::{get, web};
use beacon_core::{FinancialYear, Rating};
use beacon_db::models::ProgrammeRow;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::problem::ApiError;
use crate::routes::{AsOf, parse_field, utc};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PortfolioQuery {
    /// YYYY-MM-DD, today or earlier (default today): the portfolio at the end of that
    /// (UTC) day.
    pub as_of: Option<String>,
    /// The year whose money to show, e.g. `2025-26` (default: the year `as_of` falls in).
    pub financial_year: Option<String>,
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
#[utoipa::path(tag = "portfolio", security(("bearer" = [])), params(PortfolioQuery), responses(
    (status = 200, body = PortfolioView),
    (status = 422, description = "as_of is not a date or is in the future, or financial_year is malformed", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/portfolio")]
pub async fn get(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<PortfolioQuery>,
) -> Result<web::Json<PortfolioView>, ApiError> {
    let query = query.into_inner();
    let as_of = AsOf::parse_optional(query.as_of.as_deref())?.unwrap_or_else(AsOf::today);
    let year = match query.financial_year.as_deref() {
        Some(text) => parse_field::<FinancialYear>("financial_year", text)?,
        None => FinancialYear::containing(as_of.day).map_err(ApiError::internal)?,
    };
    let view = state.db(move |conn| portfolio(conn, as_of, year)).await?;
    Ok(web::Json(view))
}

/// The register as it stood at the end of a day: each programme that was registered or
/// rated by then, its record as the audit trail had it (or as it is now, for a programme
/// known then only by its published ratings), in code order, with its rating and owners
/// then.
pub(crate) struct PastRegister {
    pub rows: Vec<ProgrammeRow>,
    pub ratings: HashMap<i64, beacon_db::portfolio::RatingAt>,
    pub owners: HashMap<i64, Vec<i64>>,
}

pub(crate) fn past_register(
    conn: &mut beacon_db::DbConnection,
    as_of: AsOf,
) -> Result<PastRegister, ApiError> {
    use beacon_db::portfolio;
    let ratings: HashMap<i64, portfolio::RatingAt> =
        portfolio::ratings_before(conn, as_of.end, None)?
            .into_iter()
            .map(|r| (r.programme_id, r))
            .collect();
    let mut recorded = portfolio::register_before(conn, as_of.end)?;
    let mut rows: Vec<ProgrammeRow> = beacon_db::programmes::list(conn)?
        .into_iter()
        .filter_map(|now| match recorded.programmes.remove(&now.id) {
            Some(then) => Some(then),
            None if ratings.contains_key(&now.id) || now.created_at < as_of.end => Some(now),
            None => None,
        })
        .collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(PastRegister {
        rows,
        ratings,
        owners: recorded.owners,
    })
}

fn portfolio(
    conn: &mut beacon_db::DbConnection,
    as_of: AsOf,
    year: FinancialYear,
) -> Result<PortfolioView, ApiError> {
    use beacon_db::{days, portfolio};
    let PastRegister {
        rows, mut ratings, ..
    } = past_register(conn, as_of)?;
    let scope = days::Scope {
        financial_year: Some(year.start_year()),
        ids: None,
    };
    let mut money: HashMap<i64, beacon_db::models::TotalsRow> =
        days::programmes_as_of(conn, as_of.day, scope)?
            .into_iter()
            .map(|m| (m.programme_id, m))
            .collect();
    let shortfalls: HashMap<i64, i64> = portfolio::shortfalls(conn, None, Some(as_of.end))?
        .into_iter()
        .filter(|s| s.financial_year == year.start_year())
        .map(|s| (s.programme_id, s.pence))
        .collect();

    let mut counts = RatingCounts::default();
    let mut totals = PortfolioTotals::default();
    let mut lines = Vec::new();
    for row in rows {
        let rating = ratings.remove(&row.id);
        let parsed = rating
            .as_ref()
            .map(|r| r.rating.parse::<Rating>())
            .transpose()
            .map_err(ApiError::internal)?;
        *match parsed {
            Some(Rating::Red) => &mut counts.red,
            Some(Rating::AmberRed) => &mut counts.amber_red,
            Some(Rating::Amber) => &mut counts.amber,
            Some(Rating::AmberGreen) => &mut counts.amber_green,
            Some(Rating::Green) => &mut counts.green,
            None => &mut counts.unrated,
        } += 1;
        let m = money.remove(&row.id);
        let line = PortfolioLine {
            code: row.code,
            name: row.name,
            sponsor: row.sponsor,
            stage: row.stage,
            rating_since: rating.as_ref().map(|r| utc(r.since)),
            rating: rating.map(|r| r.rating),
            allocated_pence: m.as_ref().map_or(0, |m| m.allocated_pence),
            spent_run_pence: m.as_ref().map_or(0, |m| m.spent_run_pence),
            spent_change_pence: m.as_ref().map_or(0, |m| m.spent_change_pence),
            shortfall_pence: shortfalls.get(&row.id).copied().unwrap_or(0),
        };
        totals.programmes += 1;
        totals.allocated_pence += line.allocated_pence;
        totals.spent_run_pence += line.spent_run_pence;
        totals.spent_change_pence += line.spent_change_pence;
        totals.shortfall_pence += line.shortfall_pence;
        lines.push(line);
    }
    Ok(PortfolioView {
        as_of: as_of.day,
        financial_year: year.to_string(),
        counts,
        totals,
        programmes: lines,
    })
}
