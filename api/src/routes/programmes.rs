//! Programmes: the register itself.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use beacon_core::{FinancialYear, NewProgramme, Rating, RawProgramme, Role, Stage};
use beacon_db::DbConnection;
use beacon_db::models::ProgrammeRow;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::pagination;
use crate::problem::ApiError;
use crate::routes::{double_option, parse_date, parse_field, utc};
use crate::state::AppState;

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
    /// Allocated and spent in the current financial year.
    pub current_year: YearMoney,
    /// Changes with every change to the programme; the ETag is built from it.
    #[schema(example = 4)]
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeList {
    pub items: Vec<ProgrammeView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

pub(crate) fn current_year() -> Result<FinancialYear, ApiError> {
    FinancialYear::containing(Utc::now().date_naive()).map_err(ApiError::internal)
}

/// Builds the views for a page of programmes with two more queries, whatever its size:
/// owners and this year's totals for every programme on the page at once.
fn views(
    conn: &mut DbConnection,
    rows: Vec<ProgrammeRow>,
    year: FinancialYear,
) -> Result<Vec<ProgrammeView>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut owners: HashMap<i64, Vec<OwnerView>> = HashMap::new();
    for (programme_id, id, email) in beacon_db::programmes::owners_of(conn, &ids)? {
        owners
            .entry(programme_id)
            .or_default()
            .push(OwnerView { id, email });
    }
    let totals: HashMap<i64, beacon_db::models::TotalsRow> =
        beacon_db::totals::for_programmes_year(conn, &ids, year.start_year())?
            .into_iter()
            .map(|t| (t.programme_id, t))
            .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let money = totals.get(&row.id).cloned().unwrap_or_default();
            ProgrammeView {
                owners: owners.remove(&row.id).unwrap_or_default(),
                current_year: YearMoney {
                    financial_year: year.to_string(),
                    allocated_pence: money.allocated_pence,
                    spent_run_pence: money.spent_run_pence,
                    spent_change_pence: money.spent_change_pence,
                },
                code: row.code,
                name: row.name,
                description: row.description,
                capability_area: row.capability_area,
                sponsor: row.sponsor,
                lead_force: row.lead_force_id,
                stage: row.stage,
                start_date: row.start_date,
                planned_end_date: row.planned_end_date,
                whole_life_cost_pence: row.whole_life_cost_pence,
                rating: row.current_rating,
                rating_since: row.rating_since.map(utc),
                version: row.version,
            }
        })
        .collect())
}

fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// red, amber_red, amber, amber_green or green.
    pub rating: Option<String>,
    /// pipeline, delivery, live or closed.
    pub stage: Option<String>,
    /// The sponsoring organisation, any case, e.g. `Home Office`.
    pub sponsor: Option<String>,
    /// A capability area, e.g. `data-and-intelligence`.
    pub capability: Option<String>,
    /// A force id, e.g. `west-midlands`.
    pub lead_force: Option<String>,
    /// Text to find in the code, name or description.
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Programmes in code order, filtered, a page at a time.
#[utoipa::path(tag = "programmes", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, body = ProgrammeList),
    (status = 422, description = "A filter or the cursor is not valid", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/programmes")]
pub async fn list(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<web::Json<ProgrammeList>, ApiError> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    if let Some(rating) = &query.rating {
        parse_field::<Rating>("rating", rating)?;
    }
    if let Some(stage) = &query.stage {
        parse_field::<Stage>("stage", stage)?;
    }
    let filter = beacon_db::programmes::Filter {
        rating: query.rating,
        stage: query.stage,
        sponsor: query.sponsor.map(|s| s.trim().to_string()),
        capability_area: query.capability,
        lead_force: query.lead_force,
        text: query
            .q
            .map(|q| q.trim().to_string())
            .filter(|q| !q.is_empty()),
    };
    let fingerprint = format!("programmes?{filter:?}");
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode(&fingerprint, c))
        .transpose()?;
    let year = current_year()?;
    let (items, next_cursor) = state
        .db(move |conn| {
            let rows = beacon_db::programmes::page(conn, &filter, after.as_deref(), limit)?;
            let (rows, next) = pagination::finish(rows, limit, &fingerprint, |p| p.code.clone());
            Ok((views(conn, rows, year)?, next))
        })
        .await?;
    Ok(web::Json(ProgrammeList { items, next_cursor }))
}

async fn load_view(state: &AppState, code: String) -> Result<ProgrammeView, ApiError> {
    let year = current_year()?;
    state
        .db(move |conn| {
            let row = beacon_db::programmes::get_by_code(conn, &code)?;
            views(conn, vec![row], year)?
                .pop()
                .ok_or_else(|| ApiError::internal("programme view missing"))
        })
        .await
}

fn with_etag(mut response: actix_web::HttpResponseBuilder, view: &ProgrammeView) -> HttpResponse {
    response
        .insert_header((header::ETAG, etag(view.version)))
        .json(view)
}

/// One programme, with an ETag for conditional updates.
#[utoipa::path(tag = "programmes", security(("bearer" = [])), params(("code" = String, Path, example = "pnd-transformation")), responses(
    (status = 200, body = ProgrammeView, headers(("ETag" = String, description = "Send back as If-Match to PATCH"))),
    (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/programmes/{code}")]
pub async fn get(
    state: web::Data<AppState>,
    _user: AuthUser,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let view = load_view(&state, code.into_inner()).await?;
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
#[utoipa::path(tag = "programmes", security(("bearer" = [])), request_body = ProgrammeInput, responses(
    (status = 201, body = ProgrammeView),
    (status = 409, description = "The code is taken", body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/programmes")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<ProgrammeInput>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin], "registering programmes")?;
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
    let actor = user.actor();
    let code = state
        .db(move |conn| Ok(beacon_db::programmes::create(conn, &actor, &programme)?.code))
        .await?;
    let view = load_view(&state, code).await?;
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

/// The version an `If-Match: "v4"` names.
fn expected_version(request: &HttpRequest) -> Result<i64, ApiError> {
    let value = request.headers().get(header::IF_MATCH).ok_or_else(|| {
        ApiError::PreconditionRequired(
            "send If-Match with the ETag from GET /api/v1/programmes/{code}".into(),
        )
    })?;
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.strip_prefix('v'))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ApiError::PreconditionFailed(
                "If-Match does not name a version of this programme; GET it again".into(),
            )
        })
}

/// Change a programme's details (admin). Send the ETag from GET as If-Match: if the
/// programme changed since, the answer is 412 and nothing is changed.
#[utoipa::path(tag = "programmes", security(("bearer" = [])),
    params(("code" = String, Path), ("If-Match" = String, Header, description = "The ETag from GET", example = "\"v4\"")),
    request_body = ProgrammePatch, responses(
    (status = 200, body = ProgrammeView),
    (status = 412, description = "Changed since it was read", body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 428, description = "If-Match missing", body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[patch("/programmes/{code}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    request: HttpRequest,
    code: web::Path<String>,
    body: web::Json<ProgrammePatch>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin], "changing programmes")?;
    let version = expected_version(&request)?;
    let code = code.into_inner();
    let patch = body.into_inner();
    let actor = user.actor();
    let updated_code = state
        .db(move |conn| {
            let current = beacon_db::programmes::get_by_code(conn, &code)?;
            let date = |field: &str, change: Option<Option<String>>, now: Option<NaiveDate>| {
                match change {
                    None => Ok(now),
                    Some(None) => Ok(None),
                    Some(Some(text)) => parse_date(field, &text).map(Some),
                }
            };
            let programme = NewProgramme::parse(RawProgramme {
                code: current.code.clone(),
                name: patch.name.unwrap_or(current.name),
                description: patch.description.unwrap_or(current.description),
                capability_area: patch.capability_area.unwrap_or(current.capability_area),
                sponsor: patch.sponsor.unwrap_or(current.sponsor),
                lead_force: patch.lead_force.unwrap_or(current.lead_force_id),
                stage: patch.stage.unwrap_or(current.stage),
                start_date: date("start_date", patch.start_date, current.start_date)?,
                planned_end_date: date(
                    "planned_end_date",
                    patch.planned_end_date,
                    current.planned_end_date,
                )?,
                whole_life_cost_pence: patch
                    .whole_life_cost_pence
                    .unwrap_or(current.whole_life_cost_pence),
            })?;
            Ok(beacon_db::programmes::update(conn, &actor, &code, &programme, Some(version))?.code)
        })
        .await?;
    let view = load_view(&state, updated_code).await?;
    Ok(with_etag(HttpResponse::Ok(), &view))
}

type OwnerChange =
    fn(&mut DbConnection, &beacon_db::Actor, i64, i64) -> Result<(), beacon_db::DbError>;

/// Adding and removing an owner differ only in the repository call.
async fn change_owner(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, i64)>,
    change: OwnerChange,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin], "changing owners")?;
    let (code, user_id) = path.into_inner();
    let actor = user.actor();
    state
        .db(move |conn| {
            let programme = beacon_db::programmes::get_by_code(conn, &code)?;
            Ok(change(conn, &actor, programme.id, user_id)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Make a user an owner of a programme (admin). Owners are told when it turns Red.
#[utoipa::path(tag = "programmes", security(("bearer" = [])), params(("code" = String, Path), ("user_id" = i64, Path)), responses(
    (status = 204, description = "The user owns the programme"),
    (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[put("/programmes/{code}/owners/{user_id}")]
pub async fn add_owner(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    // Already an owner is fine: PUT is idempotent.
    change_owner(state, user, path, |conn, actor, programme, owner| {
        beacon_db::programmes::add_owner(conn, actor, programme, owner).map(drop)
    })
    .await
}

/// Stop a user owning a programme (admin).
#[utoipa::path(tag = "programmes", security(("bearer" = [])), params(("code" = String, Path), ("user_id" = i64, Path)), responses(
    (status = 204, description = "The user no longer owns the programme"),
    (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[delete("/programmes/{code}/owners/{user_id}")]
pub async fn remove_owner(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    change_owner(state, user, path, beacon_db::programmes::remove_owner).await
}
