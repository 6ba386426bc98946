//! User accounts: administrators only.

use actix_web::{HttpResponse, get, patch, post, web};
use beacon_core::{Email, Role, user::validate_password};
use beacon_db::models::UserRow;
use beacon_db::users::UserChange;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::pagination;
use crate::problem::ApiError;
use crate::routes::{parse_field, utc};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct UserView {
    #[schema(example = 2)]
    pub id: i64,
    #[schema(example = "sro@met.police.uk")]
    pub email: String,
    /// admin, finance, lead, auditor or viewer.
    #[schema(example = "lead")]
    pub role: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        UserView {
            id: row.id,
            email: row.email,
            role: row.role,
            active: row.active,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(example = "sro@met.police.uk")]
    pub email: String,
    #[schema(example = "lead")]
    pub role: String,
    /// At least 12 characters.
    #[schema(example = "correct horse battery staple", format = Password)]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(example = "auditor")]
    pub role: Option<String>,
    /// false disables the account; its tokens stop working at once.
    pub active: Option<bool>,
    /// A new password (a reset), at least 12 characters.
    #[schema(format = Password)]
    pub password: Option<String>,
}

const ADMIN: &[Role] = &[Role::Admin];

/// Users in the order they were created.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, body = UserList),
    (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<web::Json<UserList>, ApiError> {
    user.require(ADMIN, "listing users")?;
    let limit = pagination::limit(query.limit)?;
    let after = match &query.cursor {
        Some(cursor) => Some(parse_field::<i64>(
            "cursor",
            &pagination::decode("users", cursor)?,
        )?),
        None => None,
    };
    let rows = state
        .db(move |conn| Ok(beacon_db::users::page(conn, after, limit)?))
        .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, "users", |u| u.id.to_string());
    Ok(web::Json(UserList {
        items: rows.into_iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

/// Create a user.
#[utoipa::path(tag = "users", security(("bearer" = [])), request_body = NewUser, responses(
    (status = 201, body = UserView),
    (status = 409, description = "The email is taken", body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<NewUser>,
) -> Result<HttpResponse, ApiError> {
    user.require(ADMIN, "creating users")?;
    let body = body.into_inner();
    let mut errors = beacon_core::ValidationErrors::new();
    let email = errors.check("email", Email::parse(&body.email));
    let role = errors.check("role", body.role.parse::<Role>());
    errors.check("password", validate_password(&body.password));
    let (Some(email), Some(role)) = (email, role) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let hash = state.hasher.hash(body.password).await?;
    let actor = user.actor();
    let row = state
        .db(move |conn| Ok(beacon_db::users::create(conn, &actor, &email, role, &hash)?))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", row.id)))
        .json(UserView::from(row)))
}

/// One user.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = UserView),
    (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/users/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<UserView>, ApiError> {
    user.require(ADMIN, "reading users")?;
    let id = id.into_inner();
    let row = state
        .db(move |conn| Ok(beacon_db::users::get(conn, id)?))
        .await?;
    Ok(web::Json(row.into()))
}

/// Change a user's role, disable or enable them, or reset their password.
#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), request_body = UserPatch, responses(
    (status = 200, body = UserView),
    (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: web::Json<UserPatch>,
) -> Result<web::Json<UserView>, ApiError> {
    user.require(ADMIN, "changing users")?;
    let id = id.into_inner();
    let body = body.into_inner();
    let role = body
        .role
        .as_deref()
        .map(|r| parse_field::<Role>("role", r))
        .transpose()?;
    if id == user.id && (body.active == Some(false) || role.is_some_and(|r| r != Role::Admin)) {
        return Err(ApiError::Conflict(
            "you cannot disable yourself or give up your own admin role; ask another admin".into(),
        ));
    }
    let password_hash = match body.password {
        Some(password) => {
            validate_password(&password).map_err(|m| ApiError::field("password", m))?;
            Some(state.hasher.hash(password).await?)
        }
        None => None,
    };
    let change = UserChange {
        role,
        active: body.active,
        password_hash,
    };
    let actor = user.actor();
    let row = state
        .db(move |conn| Ok(beacon_db::users::update(conn, &actor, id, &change)?))
        .await?;
    Ok(web::Json(row.into()))
}
