//! The register as a list: programmes filtered (by rating, stage, sponsor, owner…), a
//! page at a time as JSON, or every match as CSV.

use actix_web::{HttpRequest, HttpResponse, get, web};
use beacon_db::programmes::Filter;
use serde::Deserialize;
use utoipa::IntoParams;

use super::csv_export;
use super::pagination;
use super::params::{optional, owner, text};
use super::problem::ApiError;
use super::programmes::{ProgrammeList, ProgrammeView};
use super::state::AppState;
use crate::app::register::{self, ProgrammeDetail};
use crate::app::{AsOf, Caller};

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
    /// Words to find: a programme matches when each is in its code, name or
    /// description, in any order.
    pub q: Option<String>,
    /// `me` for the programmes you own; a user's id for theirs (admins and auditors).
    #[param(example = "me")]
    pub owner: Option<String>,
    /// Page size, 1 to 200 (default 50). Ignored for CSV, which carries every match.
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// YYYY-MM-DD, today or earlier: ratings and money as they stood at the end of that
    /// (UTC) day, for the programmes registered or rated by then; `rating` filters on
    /// the rating then.
    pub as_of: Option<String>,
    /// YYYY-MM-DD, today or earlier: with `as_of`, money as recorded by the end of this
    /// (UTC) day rather than now, so entries recorded later with an earlier effective
    /// date are left out and the answer never changes. Alone, `as_of` is today.
    pub known_as_of: Option<String>,
    /// `csv` for every match as CSV, with the JSON's fields as columns (`owners` as
    /// `id: email` pairs); or send `Accept: text/csv`.
    pub format: Option<String>,
}

/// Programmes in code order, filtered, a page at a time (or all of them as CSV).
#[utoipa::path(operation_id = "list_programmes", tag = "programmes", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, description = "A page of programmes, or every match as CSV", content(
        (ProgrammeList = "application/json"),
        (String = "text/csv"),
    )),
    (status = 403, description = "`owner` names another user and you are not an admin or auditor", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, description = "A filter or the cursor is not valid", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/programmes")]
pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
    who: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let csv = csv_export::wanted(&request, query.format.as_deref())?;
    let owner = query.owner.as_deref().map(|o| owner(&who, o)).transpose()?;
    let limit = pagination::limit(query.limit.as_deref())?;
    let as_of = super::params::as_of_known(query.as_of.as_deref(), query.known_as_of.as_deref())?;
    let filter = Filter {
        rating: optional("rating", query.rating.as_deref())?,
        stage: optional("stage", query.stage.as_deref())?,
        sponsor: text(&query.sponsor),
        capability_area: optional("capability", text(&query.capability).as_deref())?,
        lead_force: optional("lead_force", text(&query.lead_force).as_deref())?,
        text: text(&query.q),
        within: None,
    };
    if csv {
        let details = fetch(&state, who, filter, owner, None, i64::MAX, as_of).await?;
        let rows: Vec<ProgrammeView> = details.into_iter().map(ProgrammeView::from).collect();
        return csv_export::table("beacon-programmes.csv", &rows);
    }
    let fingerprint = format!(
        "programmes?{filter:?}&owner={owner:?}&as_of={:?}",
        as_of.map(|a| a.day)
    );
    let after = query
        .cursor
        .as_deref()
        .map(|c| pagination::decode(&fingerprint, c))
        .transpose()?;
    let details = fetch(&state, who, filter, owner, after, limit + 1, as_of).await?;
    let (details, next_cursor) = pagination::finish(details, limit, &fingerprint, |d| {
        d.programme.code.to_string()
    });
    Ok(HttpResponse::Ok().json(ProgrammeList {
        items: details.into_iter().map(ProgrammeView::from).collect(),
        next_cursor,
    }))
}

/// Up to `limit` matches after `after`, narrowed to `owner`'s programmes when given.
async fn fetch(
    state: &AppState,
    who: Caller,
    mut filter: Filter,
    owner: Option<i64>,
    after: Option<String>,
    limit: i64,
    as_of: Option<AsOf>,
) -> Result<Vec<ProgrammeDetail>, ApiError> {
    let owners = state.owners.clone();
    state
        .db(move |conn| {
            if let Some(owner) = owner {
                filter.within = Some(register::owned_by(conn, &who, owner)?);
            }
            Ok(register::list(
                conn,
                &owners,
                &filter,
                after.as_deref(),
                limit,
                as_of,
            )?)
        })
        .await
}
