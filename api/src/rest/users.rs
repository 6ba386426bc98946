//! User accounts: administrators only.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use beacon_core::{Email, Role, user::validate_password};
use beacon_db::records::User;
use beacon_db::users::UserChange;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::Body;
use super::pagination;
use super::params::{parse_field, utc};
use super::problem::ApiError;
use super::state::AppState;
use crate::app::{Caller, sign_in, users};

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

impl From<User> for UserView {
    fn from(row: User) -> Self {
        UserView {
            id: row.id,
            email: row.email.to_string(),
            role: row.role.to_string(),
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
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
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

/// Users in the order they were created (admins and auditors; never a password).
#[utoipa::path(operation_id = "list_users", tag = "users", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, body = UserList),
    (status = 403, description = "Only admins and auditors read accounts", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    who: Caller,
    query: web::Query<ListQuery>,
) -> Result<web::Json<UserList>, ApiError> {
    let limit = pagination::limit(query.limit.as_deref())?;
    let after = match &query.cursor {
        Some(cursor) => Some(parse_field::<i64>(
            "cursor",
            &pagination::decode("users", cursor)?,
        )?),
        None => None,
    };
    let rows = state
        .db(move |conn| Ok(users::list(conn, &who, after, limit + 1)?))
        .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, "users", |u| u.id.to_string());
    Ok(web::Json(UserList {
        items: rows.into_iter().map(UserView::from).collect(),
        next_cursor,
    }))
}

/// Create a user.
#[utoipa::path(operation_id = "create_user", tag = "users", security(("bearer" = [])), request_body = NewUser, responses(
    (status = 201, body = UserView),
    (status = 409, description = "The email is taken", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only an admin manages accounts", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    who: Caller,
    body: Body<NewUser>,
) -> Result<HttpResponse, ApiError> {
    // Refused before the body is read, and before a password is hashed for nothing.
    who.may(beacon_core::Action::ManageUsers)?;
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
    let row = state
        .db_write(move |conn| Ok(users::create(conn, &who, &email, role, &hash)?))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", row.id)))
        .json(UserView::from(row)))
}

/// One user.
#[utoipa::path(operation_id = "get_user", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = UserView),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only admins and auditors read accounts", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/users/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<i64>,
) -> Result<web::Json<UserView>, ApiError> {
    let id = id.into_inner();
    let row = state
        .db(move |conn| Ok(users::get(conn, &who, id)?))
        .await?;
    Ok(web::Json(row.into()))
}

/// Change a user's role, disable or enable them, or reset their password.
#[utoipa::path(operation_id = "update_user", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), request_body = UserPatch, responses(
    (status = 200, body = UserView),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 403, description = "Only an admin manages accounts", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 409, description = "An admin cannot disable themselves or give up their own admin role", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<i64>,
    body: Body<UserPatch>,
) -> Result<web::Json<UserView>, ApiError> {
    who.may(beacon_core::Action::ManageUsers)?;
    let id = id.into_inner();
    let body = body.into_inner();
    let role = body
        .role
        .as_deref()
        .map(|r| parse_field::<Role>("role", r))
        .transpose()?;
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
    let row = state
        .db_write(move |conn| Ok(users::update(conn, &who, id, &change)?))
        .await?;
    Ok(web::Json(row.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ThrottleLifted {
    /// Failed and pending sign-in attempts forgotten.
    #[schema(example = 20)]
    pub attempts_forgotten: usize,
}

/// Lift the sign-in throttle for a user: their failed attempts are forgotten, so they
/// can sign in at once from anywhere. Audited.
#[utoipa::path(operation_id = "lift_sign_in_throttle", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)), responses(
    (status = 200, body = ThrottleLifted),
    (status = 403, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[delete("/users/{id}/sign-in-throttle")]
pub async fn lift_throttle(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<i64>,
) -> Result<web::Json<ThrottleLifted>, ApiError> {
    let id = id.into_inner();
    let attempts_forgotten = state
        .db_write(move |conn| Ok(sign_in::lift(conn, &who, id)?))
        .await?;
    Ok(web::Json(ThrottleLifted { attempts_forgotten }))
}
