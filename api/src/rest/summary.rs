//! Funding summaries: envelopes, allocations and spend added up by financial year,
//! stream, programme or sponsor, now or at the end of a past day.

use actix_web::{HttpRequest, HttpResponse, get, web};
use beacon_core::{FinancialYear, Pence};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::csv_export;
use super::params::optional;
use super::problem::ApiError;
use super::state::AppState;
use crate::app::summary::{self, Dimension, GroupBy, Summary, SummaryRow as Row};
use crate::app::{AsOf, Caller};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// financial_year (default), stream, programme or sponsor, or several separated by
    /// commas, e.g. `financial_year,stream,programme`: a group for each combination, in
    /// that order.
    pub group_by: Option<String>,
    /// Only this year, e.g. `2025-26`.
    pub financial_year: Option<String>,
    /// YYYY-MM-DD, today or earlier (default today): the money at the end of that (UTC)
    /// day.
    pub as_of: Option<String>,
    /// YYYY-MM-DD, today or earlier: with `as_of`, money as recorded by the end of this
    /// (UTC) day rather than now, so entries recorded later with an earlier effective
    /// date are left out and the answer never changes. Alone, `as_of` is today.
    pub known_as_of: Option<String>,
    /// `csv` for the groups and then the totals as CSV rows, with `as_of`,
    /// `financial_year` and `group_by` beside the JSON's fields; or send
    /// `Accept: text/csv`.
    pub format: Option<String>,
}

/// A group (or the totals) as a CSV row, with what the summary is of beside it: one
/// column per dimension, `financial_year` holding the group's year or else the year
/// asked for.
#[derive(Serialize)]
pub(crate) struct CsvRow<'a> {
    as_of: NaiveDate,
    financial_year: Option<&'a str>,
    group_by: &'a str,
    key: &'a str,
    stream: Option<&'a str>,
    programme: Option<&'a str>,
    sponsor: Option<&'a str>,
    envelope_pence: Option<i64>,
    allocated_pence: i64,
    spent_run_pence: Option<i64>,
    spent_change_pence: Option<i64>,
    headroom_pence: Option<i64>,
    run_share: Option<f64>,
}

/// One group's money. Null where the grouping cannot carry it: envelopes belong to
/// streams, spend is recorded against programmes.
#[derive(Serialize, ToSchema, Debug, Clone, Default)]
pub struct SummaryRow {
    /// The group's values in the grouping's order, joined by ` / `: the year
    /// (`2025-26`), stream code, programme code or sponsor; `total` for the totals.
    #[schema(example = "2025-26")]
    pub key: String,
    /// The group's year, when grouped by year.
    pub financial_year: Option<String>,
    /// The group's stream code, when grouped by stream.
    pub stream: Option<String>,
    /// The group's programme code, when grouped by programme.
    pub programme: Option<String>,
    /// The group's sponsor, when grouped by sponsor.
    pub sponsor: Option<String>,
    #[schema(example = 10_000_000_000_i64)]
    pub envelope_pence: Option<i64>,
    #[schema(example = 9_200_000_000_i64)]
    pub allocated_pence: i64,
    /// Spent keeping existing systems running.
    pub spent_run_pence: Option<i64>,
    /// Spent on new capability.
    pub spent_change_pence: Option<i64>,
    /// Envelope less allocated: what is left to allocate.
    pub headroom_pence: Option<i64>,
    /// Run spend as a share of all spend, 0 to 1, to four places; null with no spend.
    #[schema(example = 0.97)]
    pub run_share: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct SummaryView {
    /// The dimensions grouped by, in order, separated by commas.
    #[schema(example = "financial_year,stream")]
    pub group_by: String,
    pub as_of: NaiveDate,
    /// With `known_as_of`: the money is as recorded by the end of that day.
    pub known_as_of: Option<NaiveDate>,
    /// The year asked for, if one was.
    pub financial_year: Option<String>,
    /// In key order.
    pub groups: Vec<SummaryRow>,
    /// Every group together: these reconcile with the funding history to the penny.
    pub totals: SummaryRow,
}

/// Envelopes, allocations and spend by financial year, stream, programme or sponsor,
/// or several of those at once. Envelopes show where the grouping has no programme or
/// sponsor, spend where it has no stream. Totals equal the sums of the funding history's entries up to the same day.
#[utoipa::path(operation_id = "get_funding_summary", tag = "funding", security(("bearer" = [])), params(SummaryQuery), responses(
    (status = 200, description = "The summary, or its groups and totals as CSV", content(
        (SummaryView = "application/json"),
        (String = "text/csv"),
    )),
    (status = 422, description = "An unknown group_by, a malformed year, or an as_of that is not a date or is in the future", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/funding/summary")]
pub async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
    _who: Caller,
    query: web::Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = csv_export::wanted(&request, query.format.as_deref())?;
    let group_by = match query.group_by.as_deref() {
        None => GroupBy::one(Dimension::FinancialYear),
        Some(text) => GroupBy::parse(text).map_err(|e| ApiError::field("group_by", e))?,
    };
    let year = optional::<FinancialYear>("financial_year", query.financial_year.as_deref())?;
    let as_of = super::params::as_of_known(query.as_of.as_deref(), query.known_as_of.as_deref())?
        .unwrap_or_else(AsOf::today);
    let summary = state
        .db(move |conn| Ok(summary::summary(conn, group_by, year, as_of)?))
        .await?;
    let view = SummaryView::from(summary);
    if !csv {
        return Ok(HttpResponse::Ok().json(view));
    }
    let (filename, rows) = csv_rows(&view);
    csv_export::table(&filename, &rows)
}

/// The groups and then the totals as CSV rows, and the name a file of them takes.
pub(crate) fn csv_rows(view: &SummaryView) -> (String, Vec<CsvRow<'_>>) {
    let rows = view
        .groups
        .iter()
        .chain([&view.totals])
        .map(|row| CsvRow {
            as_of: view.as_of,
            financial_year: row
                .financial_year
                .as_deref()
                .or(view.financial_year.as_deref()),
            group_by: &view.group_by,
            key: &row.key,
            stream: row.stream.as_deref(),
            programme: row.programme.as_deref(),
            sponsor: row.sponsor.as_deref(),
            envelope_pence: row.envelope_pence,
            allocated_pence: row.allocated_pence,
            spent_run_pence: row.spent_run_pence,
            spent_change_pence: row.spent_change_pence,
            headroom_pence: row.headroom_pence,
            run_share: row.run_share,
        })
        .collect();
    let filename = format!(
        "beacon-funding-summary-{}-by-{}.csv",
        view.as_of,
        view.group_by.replace(',', "-")
    );
    (filename, rows)
}

impl From<Summary> for SummaryView {
    fn from(summary: Summary) -> Self {
        SummaryView {
            group_by: summary.group_by.as_str().to_string(),
            as_of: summary.as_of,
            known_as_of: summary.known_as_of,
            financial_year: summary.year.map(|y| y.to_string()),
            groups: summary.groups.into_iter().map(SummaryRow::from).collect(),
            totals: summary.totals.into(),
        }
    }
}

impl From<Row> for SummaryRow {
    fn from(row: Row) -> Self {
        let value = |dimension: Dimension| {
            row.group
                .iter()
                .find(|(d, _)| *d == dimension)
                .map(|(_, value)| value.clone())
        };
        let values: Vec<&str> = row.group.iter().map(|(_, v)| v.as_str()).collect();
        SummaryRow {
            key: if values.is_empty() {
                "total".to_string()
            } else {
                values.join(" / ")
            },
            financial_year: value(Dimension::FinancialYear),
            stream: value(Dimension::Stream),
            programme: value(Dimension::Programme),
            sponsor: value(Dimension::Sponsor),
            envelope_pence: row.envelope.map(Pence::get),
            allocated_pence: row.allocated.get(),
            spent_run_pence: row.spent_run.map(Pence::get),
            spent_change_pence: row.spent_change.map(Pence::get),
            headroom_pence: row.headroom.map(Pence::get),
            run_share: row.run_share,
        }
    }
}
