//! Programmes: the register itself.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use beacon_core::{Action, FinancialYear, NewProgramme, Pence, RawProgramme};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::Body;
use super::params::{double_option, parse_date, utc};
use super::problem::ApiError;
use super::state::AppState;
use crate::app::programmes::ProgrammePatch as Patch;
use crate::app::register::{self, ProgrammeDetail};
use crate::app::{AsOf, Caller, programmes};

#[derive(Serialize, ToSchema, Clone)]
pub struct OwnerView {
    #[schema(example = 3)]
    pub id: i64,
    #[schema(example = "sro@met.police.uk")]
    pub email: String,
}

/// A programme's money in one financial year, from the ledger and spend.
#[derive(Serialize, ToSchema, Default)]
pub struct YearMoney {
    #[schema(example = "2025-26")]
    pub financial_year: String,
    #[schema(example = 5_950_000_000_i64)]
    pub allocated_pence: i64,
    /// Spent keeping existing systems running.
    #[schema(example = 1_300_000_000_i64)]
    pub spent_run_pence: i64,
    /// Spent on new capability.
    #[schema(example = 400_000_000_i64)]
    pub spent_change_pence: i64,
}

/// Money a programme lost in one financial year when an envelope was cut.
#[derive(Serialize, ToSchema, Clone)]
pub struct ShortfallView {
    #[schema(example = "2025-26")]
    pub financial_year: String,
    #[schema(example = 1_200_000_000_i64)]
    pub shortfall_pence: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeView {
    #[schema(example = "pnd-transformation")]
    pub code: String,
    #[schema(example = "Police National Database (PND) transformation programme")]
    pub name: String,
    pub description: String,
    #[schema(example = "data-and-intelligence")]
    pub capability_area: String,
    #[schema(example = "Home Office")]
    pub sponsor: String,
    /// The data.police.uk id of the force that leads it, if one does.
    #[schema(example = "west-midlands")]
    pub lead_force: Option<String>,
    /// pipeline, delivery, live or closed.
    #[schema(example = "delivery")]
    pub stage: String,
    pub start_date: Option<NaiveDate>,
    pub planned_end_date: Option<NaiveDate>,
    #[schema(example = 28_264_000_000_i64)]
    pub whole_life_cost_pence: Option<i64>,
    /// The latest status report's rating: red, amber_red, amber, amber_green or green.
    #[schema(example = "red")]
    pub rating: Option<String>,
    /// When the programme entered its current rating.
    pub rating_since: Option<DateTime<Utc>>,
    pub owners: Vec<OwnerView>,
    /// Allocated and spent in the current financial year (with `as_of`, the year that
    /// date falls in).
    pub current_year: YearMoney,
    /// Each year in which a cut to an envelope withdrew money from this programme.
    pub shortfalls: Vec<ShortfallView>,
    /// With `as_of`: the date everything here is as of (the end of that UTC day): the
    /// record and owners as the audit trail had them, the rating from the reports made
    /// by then, the money from the entries recorded by then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
    /// Changes with every change to the programme; the ETag is built from it. Absent
    /// with `as_of`: a past state is not something to update.
    #[schema(example = 4)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeList {
    pub items: Vec<ProgrammeView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl From<ProgrammeDetail> for ProgrammeView {
    fn from(detail: ProgrammeDetail) -> Self {
        let p = detail.programme;
        ProgrammeView {
            owners: detail
                .owners
                .into_iter()
                .map(|o| OwnerView {
                    id: o.user_id,
                    email: o.email,
                })
                .collect(),
            current_year: year_money(
                detail.money.year,
                detail.money.allocated,
                detail.money.spent_run,
                detail.money.spent_change,
            ),
            shortfalls: detail
                .shortfalls
                .into_iter()
                .map(|s| ShortfallView {
                    financial_year: s.year.to_string(),
                    shortfall_pence: s.amount.get(),
                })
                .collect(),
            as_of: detail.as_of,
            code: p.code.to_string(),
            name: p.name,
            description: p.description,
            capability_area: p.capability_area.to_string(),
            sponsor: p.sponsor,
            lead_force: p.lead_force.map(|f| f.to_string()),
            stage: p.stage.to_string(),
            start_date: p.start_date,
            planned_end_date: p.planned_end_date,
            whole_life_cost_pence: p.whole_life_cost.map(Pence::get),
            rating: p.rating.map(|r| r.to_string()),
            rating_since: p.rating_since.map(utc),
            version: detail.as_of.is_none().then_some(p.version),
        }
    }
}

fn year_money(year: FinancialYear, allocated: Pence, run: Pence, change: Pence) -> YearMoney {
    YearMoney {
        financial_year: year.to_string(),
        allocated_pence: allocated.get(),
        spent_run_pence: run.get(),
        spent_change_pence: change.get(),
    }
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GetQuery {
    /// YYYY-MM-DD, today or earlier: the rating and money as they stood at the end of
    /// that (UTC) day. 404 if the programme was neither registered nor rated by then.
    pub as_of: Option<String>,
    /// YYYY-MM-DD, today or earlier: with `as_of`, money as recorded by the end of this
    /// (UTC) day rather than now, so entries recorded later with an earlier effective
    /// date are left out and the answer never changes. Alone, `as_of` is today.
    pub known_as_of: Option<String>,
}

async fn load_view(
    state: &AppState,
    code: String,
    as_of: Option<AsOf>,
) -> Result<ProgrammeView, ApiError> {
    let owners = state.owners.clone();
    let detail = state
        .db(move |conn| Ok(register::get(conn, &owners, &code, as_of)?))
        .await?;
    Ok(detail.into())
}

fn with_etag(mut response: actix_web::HttpResponseBuilder, view: &ProgrammeView) -> HttpResponse {
    response
        .insert_header((header::ETAG, etag(view.version.unwrap_or_default())))
        .json(view)
}

/// One programme, with an ETag for conditional updates.
#[utoipa::path(operation_id = "get_programme", tag = "programmes", security(("bearer" = [])), params(("code" = String, Path, example = "pnd-transformation"), GetQuery), responses(
    (status = 200, body = ProgrammeView, headers(("ETag" = String, description = "Send back as If-Match to PATCH (not sent with as_of)"))),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, description = "as_of is not a date, or is in the future", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/programmes/{code}")]
pub async fn get(
    state: web::Data<AppState>,
    _who: Caller,
    code: web::Path<String>,
    query: web::Query<GetQuery>,
) -> Result<HttpResponse, ApiError> {
    let as_of = super::params::as_of_known(query.as_of.as_deref(), query.known_as_of.as_deref())?;
    let view = load_view(&state, code.into_inner(), as_of).await?;
    if as_of.is_some() {
        // A past state is not something to update: no ETag.
        return Ok(HttpResponse::Ok().json(view));
    }
    Ok(with_etag(HttpResponse::Ok(), &view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeInput {
    #[schema(example = "national-digital-forensics")]
    pub code: String,
    #[schema(example = "National digital forensics")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[schema(example = "biometrics-and-forensics")]
    pub capability_area: String,
    #[schema(example = "NPCC")]
    pub sponsor: String,
    pub lead_force: Option<String>,
    #[schema(example = "pipeline")]
    pub stage: String,
    /// YYYY-MM-DD
    #[schema(example = "2026-04-01")]
    pub start_date: Option<String>,
    /// YYYY-MM-DD
    pub planned_end_date: Option<String>,
    pub whole_life_cost_pence: Option<i64>,
}

fn optional_date(field: &str, text: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    text.map(|t| parse_date(field, t)).transpose()
}

/// Register a programme (admin).
#[utoipa::path(operation_id = "register_programme", tag = "programmes", security(("bearer" = [])), request_body = ProgrammeInput, responses(
    (status = 201, body = ProgrammeView),
    (status = 409, description = "The code is taken", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only an admin registers programmes", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/programmes")]
pub async fn create(
    state: web::Data<AppState>,
    who: Caller,
    body: Body<ProgrammeInput>,
) -> Result<HttpResponse, ApiError> {
    who.may(Action::RegisterProgramme)?;
    let body = body.into_inner();
    let programme = NewProgramme::parse(RawProgramme {
        start_date: optional_date("start_date", body.start_date.as_deref())?,
        planned_end_date: optional_date("planned_end_date", body.planned_end_date.as_deref())?,
        code: body.code,
        name: body.name,
        description: body.description,
        capability_area: body.capability_area,
        sponsor: body.sponsor,
        lead_force: body.lead_force,
        stage: body.stage,
        whole_life_cost_pence: body.whole_life_cost_pence,
    })?;
    let code = state
        .db_write(move |conn| Ok(programmes::register(conn, &who, &programme)?.code))
        .await?;
    let view = load_view(&state, code.to_string(), None).await?;
    let location = format!("/api/v1/programmes/{}", view.code);
    Ok(with_etag(
        HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .take(),
        &view,
    ))
}

/// Fields to change; absent fields stay as they are, null clears an optional one.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProgrammePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub capability_area: Option<String>,
    pub sponsor: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub lead_force: Option<Option<String>>,
    #[schema(example = "live")]
    pub stage: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub start_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub planned_end_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub whole_life_cost_pence: Option<Option<i64>>,
}

/// The version an `If-Match: "v4"` names; `None` for `If-Match: *`, which any current
/// version matches.
fn expected_version(request: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let value = request.headers().get(header::IF_MATCH).ok_or_else(|| {
        ApiError::PreconditionRequired(
            "send If-Match with the ETag from GET /api/v1/programmes/{code}".into(),
        )
    })?;
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .trim_matches('"')
        .strip_prefix('v')
        .and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::PreconditionFailed(
                "If-Match does not name a version of this programme; GET it again".into(),
            )
        })
}

/// Change a programme's details (admin). Send the ETag from GET as If-Match: if the
/// programme changed since, the answer is 412 and nothing is changed.
#[utoipa::path(operation_id = "update_programme", tag = "programmes", security(("bearer" = [])),
    params(("code" = String, Path), ("If-Match" = String, Header, description = "The ETag from GET, or * to change whatever version is current", example = "\"v4\"")),
    request_body = ProgrammePatch, responses(
    (status = 200, body = ProgrammeView),
    (status = 412, description = "Changed since it was read", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only an admin changes programmes", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 404, description = "No programme has this code", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[patch("/programmes/{code}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Caller,
    request: HttpRequest,
    code: web::Path<String>,
    body: Body<ProgrammePatch>,
) -> Result<HttpResponse, ApiError> {
    who.may(Action::ChangeProgramme)?;
    let version = expected_version(&request)?;
    let code = code.into_inner();
    let body = body.into_inner();
    let date = |field: &str,
                change: Option<Option<String>>|
     -> Result<Option<Option<NaiveDate>>, ApiError> {
        change
            .map(|text| text.map(|t| parse_date(field, &t)).transpose())
            .transpose()
    };
    let patch = Patch {
        start_date: date("start_date", body.start_date)?,
        planned_end_date: date("planned_end_date", body.planned_end_date)?,
        name: body.name,
        description: body.description,
        capability_area: body.capability_area,
        sponsor: body.sponsor,
        lead_force: body.lead_force,
        stage: body.stage,
        whole_life_cost_pence: body.whole_life_cost_pence,
    };
    let updated = state
        .db_write(move |conn| Ok(programmes::update(conn, &who, &code, patch, version)?))
        .await?;
    let view = load_view(&state, updated.code.to_string(), None).await?;
    Ok(with_etag(HttpResponse::Ok(), &view))
}

type OwnerChange =
    fn(&mut beacon_db::DbConnection, &Caller, &str, i64) -> Result<(), crate::app::AppError>;

/// Adding and removing an owner differ only in the use case.
async fn change_owner(
    state: web::Data<AppState>,
    who: Caller,
    path: web::Path<(String, i64)>,
    change: OwnerChange,
) -> Result<HttpResponse, ApiError> {
    let (code, user_id) = path.into_inner();
    state
        .db_write(move |conn| Ok(change(conn, &who, &code, user_id)?))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Make a user an owner of a programme (admin). Owners are told when it turns Red.
#[utoipa::path(operation_id = "add_programme_owner", tag = "programmes", security(("bearer" = [])), params(("code" = String, Path), ("user_id" = i64, Path)), responses(
    (status = 204, description = "The user owns the programme"),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only an admin manages owners", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[put("/programmes/{code}/owners/{user_id}")]
pub async fn add_owner(
    state: web::Data<AppState>,
    who: Caller,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    // Already an owner is fine: PUT is idempotent.
    change_owner(state, who, path, |conn, who, code, owner| {
        programmes::add_owner(conn, who, code, owner).map(drop)
    })
    .await
}

/// Stop a user owning a programme (admin).
#[utoipa::path(operation_id = "remove_programme_owner", tag = "programmes", security(("bearer" = [])), params(("code" = String, Path), ("user_id" = i64, Path)), responses(
    (status = 204, description = "The user no longer owns the programme"),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only an admin manages owners", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[delete("/programmes/{code}/owners/{user_id}")]
pub async fn remove_owner(
    state: web::Data<AppState>,
    who: Caller,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    change_owner(state, who, path, programmes::remove_owner).await
}
