//! Status reports: a programme lead's delivery confidence, with the reason.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use beacon_core::{Action, NewStatusReport, Rating};
use beacon_db::records::StatusReport;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::Body;
use super::pagination;
use super::params::{parse_date, utc};
use super::problem::ApiError;
use super::state::AppState;
use crate::app::{Caller, reports};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// red, amber_red, amber, amber_green or green.
    #[schema(example = "red")]
    pub rating: String,
    /// Why: required for anything below green.
    #[serde(default)]
    #[schema(example = "Cloud transition delayed; contingency option chosen.")]
    pub rationale: String,
    /// The last day of the period reported on, YYYY-MM-DD, not in the future.
    #[schema(example = "2025-06-30")]
    pub period_end: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportView {
    pub id: i64,
    #[schema(example = "pnd-transformation")]
    pub programme: String,
    #[schema(example = "red")]
    pub rating: String,
    pub rationale: String,
    pub period_end: NaiveDate,
    /// The user who reported it; absent for a published rating loaded from its source.
    pub reported_by: Option<i64>,
    /// That user's email.
    #[schema(example = "lead@met.police.uk")]
    pub reported_by_email: Option<String>,
    pub reported_at: DateTime<Utc>,
    /// `beacon` for a report made here, else the publication it came from.
    #[schema(example = "beacon")]
    pub source: String,
    /// The programme's rating before this report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_rating: Option<String>,
}

fn view(programme: &str, row: StatusReport, previous: Option<Rating>) -> ReportView {
    ReportView {
        id: row.id,
        programme: programme.to_string(),
        rating: row.rating.to_string(),
        rationale: row.rationale,
        period_end: row.period_end,
        reported_by: row.reported_by,
        reported_by_email: row.reported_by_email,
        reported_at: utc(row.reported_at),
        source: row.source,
        previous_rating: previous.map(|r| r.to_string()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReportList {
    pub items: Vec<ReportView>,
    pub next_cursor: Option<String>,
}

/// Report a programme's delivery confidence: an owner whose role is lead, or an admin.
#[utoipa::path(operation_id = "report_status", tag = "status reports", security(("bearer" = [])), params(("code" = String, Path)), request_body = NewReport, responses(
    (status = 201, body = ReportView),
    (status = 403, description = "Not an owner of this programme", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/programmes/{code}/status-reports")]
pub async fn create(
    state: web::Data<AppState>,
    who: Caller,
    code: web::Path<String>,
    body: Body<NewReport>,
) -> Result<HttpResponse, ApiError> {
    who.may(Action::ReportStatus)?;
    let body = body.into_inner();
    let mut errors = beacon_core::ValidationErrors::new();
    let rating = errors.check("rating", body.rating.parse::<Rating>());
    let period_end = errors.check(
        "period_end",
        parse_date("period_end", &body.period_end).map_err(|e| e.to_string()),
    );
    let (Some(rating), Some(period_end)) = (rating, period_end) else {
        return Err(errors.into());
    };
    let report =
        NewStatusReport::new(rating, &body.rationale, period_end, Utc::now().date_naive())?;
    let code = code.into_inner();
    let alerts = state.alerts.clone();
    let recorded = state
        .db_write(move |conn| Ok(reports::report_status(conn, &who, &code, &report, &alerts)?))
        .await?;
    let code = recorded.programme.code.to_string();
    let location = format!(
        "/api/v1/programmes/{code}/status-reports/{}",
        recorded.report.id
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(view(&code, recorded.report, recorded.previous_rating)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// A programme's status reports, newest first.
#[utoipa::path(operation_id = "list_status_reports", tag = "status reports", security(("bearer" = [])), params(("code" = String, Path), ListQuery), responses(
    (status = 200, body = ReportList),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/programmes/{code}/status-reports")]
pub async fn list(
    state: web::Data<AppState>,
    _who: Caller,
    code: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<ReportList>, ApiError> {
    let code = code.into_inner();
    let limit = pagination::limit(query.limit.as_deref())?;
    let fingerprint = format!("status-reports/{code}");
    let before = pagination::decode_id(&fingerprint, query.cursor.as_deref())?;
    let (items, next_cursor) = state
        .db(move |conn| {
            let rows = reports::list(conn, &code, before, limit + 1)?;
            let (rows, next) = pagination::finish(rows, limit, &fingerprint, |r| r.id.to_string());
            Ok((
                rows.into_iter().map(|r| view(&code, r, None)).collect(),
                next,
            ))
        })
        .await?;
    Ok(web::Json(ReportList { items, next_cursor }))
}
