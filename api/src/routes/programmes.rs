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
use crate::routes::{AsOf, double_option, parse_date, parse_field, utc};
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

pub(crate) fn current_year() -> Result<FinancialYear, ApiError> {
    FinancialYear::containing(Utc::now().date_naive()).map_err(ApiError::internal)
}

/// Which state a view shows: now, or the end of a past day.
#[derive(Clone, Copy)]
enum When<'a> {
    Now,
    Past(AsOf, &'a crate::routes::portfolio::PastRegister),
}

/// Builds the views for a page of programmes with a few more queries, whatever its
/// size: owners, the year's totals and shortfalls for every programme on the page at
/// once; for a past day, the ratings, owners and totals as they stood then.
fn views(
    conn: &mut DbConnection,
    rows: Vec<ProgrammeRow>,
    when: When<'_>,
) -> Result<Vec<ProgrammeView>, ApiError> {
    let as_of = match when {
        When::Now => None,
        When::Past(as_of, _) => Some(as_of),
    };
    let year = match as_of {
        Some(as_of) => FinancialYear::containing(as_of.day).map_err(ApiError::internal)?,
        None => current_year()?,
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut owners: HashMap<i64, Vec<OwnerView>> = HashMap::new();
    let mut money: HashMap<i64, YearMoney> = HashMap::new();
    let totals = match when {
        When::Now => {
            for (programme_id, id, email) in beacon_db::programmes::owners_of(conn, &ids)? {
                owners
                    .entry(programme_id)
                    .or_default()
                    .push(OwnerView { id, email });
            }
            beacon_db::totals::for_programmes_year(conn, &ids, year.start_year())?
        }
        When::Past(as_of, register) => {
            let mut user_ids: Vec<i64> = ids
                .iter()
                .filter_map(|id| register.owners.get(id))
                .flatten()
                .copied()
                .collect();
            user_ids.sort_unstable();
            user_ids.dedup();
            let emails = beacon_db::portfolio::emails(conn, &user_ids)?;
            for id in &ids {
                for user in register.owners.get(id).into_iter().flatten() {
                    owners.entry(*id).or_default().push(OwnerView {
                        id: *user,
                        email: emails.get(user).cloned().unwrap_or_default(),
                    });
                }
            }
            let scope = beacon_db::days::Scope {
                financial_year: Some(year.start_year()),
                ids: Some(&ids),
            };
            beacon_db::days::programmes_as_of(conn, as_of.day, scope)?
        }
    };
    for t in totals {
        money.insert(
            t.programme_id,
            year_money(
                year,
                t.allocated_pence,
                t.spent_run_pence,
                t.spent_change_pence,
            ),
        );
    }
    let mut shortfalls: HashMap<i64, Vec<ShortfallView>> = HashMap::new();
    for s in beacon_db::portfolio::shortfalls(conn, Some(&ids), as_of.map(|a| a.end))? {
        shortfalls
            .entry(s.programme_id)
            .or_default()
            .push(ShortfallView {
                financial_year: crate::routes::funding::year_text(s.financial_year),
                shortfall_pence: s.pence,
            });
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let (rating, rating_since) = match when {
                When::Now => (row.current_rating, row.rating_since),
                When::Past(_, register) => register
                    .ratings
                    .get(&row.id)
                    .map_or((None, None), |r| (Some(r.rating.clone()), Some(r.since))),
            };
            ProgrammeView {
                owners: owners.remove(&row.id).unwrap_or_default(),
                current_year: money
                    .remove(&row.id)
                    .unwrap_or_else(|| year_money(year, 0, 0, 0)),
                shortfalls: shortfalls.remove(&row.id).unwrap_or_default(),
                as_of: as_of.map(|a| a.day),
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
                rating,
                rating_since: rating_since.map(utc),
                version: as_of.is_none().then_some(row.version),
            }
        })
        .collect())
}

fn year_money(year: FinancialYear, allocated: i64, run: i64, change: i64) -> YearMoney {
    YearMoney {
        financial_year: year.to_string(),
        allocated_pence: allocated,
        spent_run_pence: run,
        spent_change_pence: change,
    }
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
    /// YYYY-MM-DD, today or earlier: ratings and money as they stood at the end of that
    /// (UTC) day, for the programmes registered or rated by then; `rating` filters on
    /// the rating then.
    pub as_of: Option<String>,
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
    let as_of = AsOf::parse_optional(query.as_of.as_deref())?;
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
    let fingerprint = format!("programmes?{filter:?}&as_of={:?}", as_of.map(|a| a.day));
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode(&fingerprint, c))
        .transpose()?;
    let (items, next_cursor) = state
        .db(move |conn| match as_of {
            None => {
                let rows = beacon_db::programmes::page(conn, &filter, after.as_deref(), limit)?;
                let (rows, next) =
                    pagination::finish(rows, limit, &fingerprint, |p| p.code.clone());
                Ok((views(conn, rows, When::Now)?, next))
            }
            Some(as_of) => {
                let register = crate::routes::portfolio::past_register(conn, as_of)?;
                let rows = page_as_of(&register, &filter, after.as_deref(), limit);
                let (rows, next) =
                    pagination::finish(rows, limit, &fingerprint, |p| p.code.clone());
                Ok((views(conn, rows, When::Past(as_of, &register))?, next))
            }
        })
        .await?;
    Ok(web::Json(ProgrammeList { items, next_cursor }))
}

/// A page of the register as it stood at the end of a past day, filtered on the
/// records and ratings as they were then. The register is a few thousand programmes at
/// most, so it is narrowed in memory.
fn page_as_of(
    register: &crate::routes::portfolio::PastRegister,
    filter: &beacon_db::programmes::Filter,
    after: Option<&str>,
    limit: i64,
) -> Vec<ProgrammeRow> {
    register
        .rows
        .iter()
        .filter(|row| after.is_none_or(|after| row.code.as_str() > after))
        .filter(|row| filter.matches_except_rating(row))
        .filter(|row| {
            filter.rating.as_ref().is_none_or(|wanted| {
                register.ratings.get(&row.id).map(|r| &r.rating) == Some(wanted)
            })
        })
        .take(usize::try_from(limit + 1).unwrap_or(usize::MAX))
        .cloned()
        .collect()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct GetQuery {
    /// YYYY-MM-DD, today or earlier: the rating and money as they stood at the end of
    /// that (UTC) day. 404 if the programme was neither registered nor rated by then.
    pub as_of: Option<String>,
}

async fn load_view(
    state: &AppState,
    code: String,
    as_of: Option<AsOf>,
) -> Result<ProgrammeView, ApiError> {
    state
        .db(move |conn| {
            let row = beacon_db::programmes::get_by_code(conn, &code)?;
            let Some(as_of) = as_of else {
                return views(conn, vec![row], When::Now)?
                    .pop()
                    .ok_or_else(|| ApiError::internal("programme view missing"));
            };
            let register = crate::routes::portfolio::past_register(conn, as_of)?;
            let then = register
                .rows
                .iter()
                .find(|r| r.id == row.id)
                .cloned()
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "programme '{code}' was not in the register on {}",
                        as_of.day
                    ))
                })?;
            views(conn, vec![then], When::Past(as_of, &register))?
                .pop()
                .ok_or_else(|| ApiError::internal("programme view missing"))
        })
        .await
}

fn with_etag(mut response: actix_web::HttpResponseBuilder, view: &ProgrammeView) -> HttpResponse {
    response
        .insert_header((header::ETAG, etag(view.version.unwrap_or_default())))
        .json(view)
}

/// One programme, with an ETag for conditional updates.
#[utoipa::path(tag = "programmes", security(("bearer" = [])), params(("code" = String, Path, example = "pnd-transformation"), GetQuery), responses(
    (status = 200, body = ProgrammeView, headers(("ETag" = String, description = "Send back as If-Match to PATCH (not sent with as_of)"))),
    (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 422, description = "as_of is not a date, or is in the future", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/programmes/{code}")]
pub async fn get(
    state: web::Data<AppState>,
    _user: AuthUser,
    code: web::Path<String>,
    query: web::Query<GetQuery>,
) -> Result<HttpResponse, ApiError> {
    let as_of = AsOf::parse_optional(query.as_of.as_deref())?;
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
    let view = load_view(&state, code, None).await?;
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
    let view = load_view(&state, updated_code, None).await?;
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
