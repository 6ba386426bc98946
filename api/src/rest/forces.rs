//! The police forces of England and Wales.

use actix_web::{get, web};
use beacon_core::Force;
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::ApiError;
use super::state::AppState;
use crate::app::{Caller, forces};

#[derive(Serialize, ToSchema)]
pub struct ForceView {
    /// The data.police.uk id.
    #[schema(example = "avon-and-somerset")]
    pub id: String,
    #[schema(example = "Avon and Somerset Constabulary")]
    pub name: String,
    /// ONS police force area code.
    #[schema(example = "E23000036")]
    pub ons_code: String,
    #[schema(example = "England")]
    pub country: String,
}

impl From<Force> for ForceView {
    fn from(row: Force) -> Self {
        ForceView {
            id: row.id.to_string(),
            name: row.name,
            ons_code: row.ons_code,
            country: row.country,
        }
    }
}

/// Every force, by name (43 territorial forces; not paginated).
#[utoipa::path(operation_id = "list_forces", tag = "forces", security(("bearer" = [])), responses(
    (status = 200, body = Vec<ForceView>),
    (status = 401, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/forces")]
pub async fn list(
    state: web::Data<AppState>,
    _who: Caller,
) -> Result<web::Json<Vec<ForceView>>, ApiError> {
    let rows = state.db(|conn| Ok(forces::list(conn)?)).await?;
    Ok(web::Json(rows.into_iter().map(ForceView::from).collect()))
}

/// One force.
#[utoipa::path(operation_id = "get_force", tag = "forces", security(("bearer" = [])), params(("id" = String, Path, example = "norfolk")), responses(
    (status = 200, body = ForceView),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/forces/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    _who: Caller,
    id: web::Path<String>,
) -> Result<web::Json<ForceView>, ApiError> {
    let id = id.into_inner();
    let row = state.db(move |conn| Ok(forces::get(conn, &id)?)).await?;
    Ok(web::Json(row.into()))
}
