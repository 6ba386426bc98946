//! Signing in and finding out who you are.

use actix_web::{HttpRequest, get, post, web};
use beacon_core::Email;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::problem::ApiError;
use super::state::AppState;
use super::users::UserView;
use crate::app::{Caller, users};
use crate::password::HasherError;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(example = "admin@beacon.police.uk")]
    pub email: String,
    #[schema(example = "correct horse battery staple", format = Password)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: u64,
}

impl From<HasherError> for ApiError {
    fn from(error: HasherError) -> Self {
        match error {
            HasherError::Busy => ApiError::Unavailable(error.to_string()),
            other => ApiError::internal(other),
        }
    }
}

/// Exchange an email and password for a bearer token. A wrong password and an unknown
/// email get the same answer in the same time; repeated failures are throttled per
/// client address and per account.
#[utoipa::path(tag = "auth", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "Wrong email or password", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failures; see Retry-After", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/auth/token")]
#[tracing::instrument(skip(state, request, body), fields(email))]
pub async fn token(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Json<TokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let TokenRequest { email, password } = body.into_inner();
    // A malformed email cannot have an account: the same 401 as any other miss, after
    // the same work (the hasher verifies against its dummy hash).
    let parsed = Email::parse(&email).ok();
    let email = parsed.as_ref().map_or(email, |e| e.as_str().to_string());
    tracing::Span::current().record("email", email.as_str());
    let address = request
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    state
        .throttle
        .check(&address, &email)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;

    let credentials = match parsed {
        Some(parsed) => {
            state
                .db(move |conn| Ok(users::credentials(conn, &parsed)?))
                .await?
        }
        None => None,
    };
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let matches = state.hasher.verify(password, stored).await?;
    match credentials.map(|c| c.user) {
        Some(user) if matches && user.active => {
            state.throttle.succeeded(&email);
            let token = state.keys.issue(user.id, user.role)?;
            Ok(web::Json(TokenResponse {
                access_token: token,
                token_type: "Bearer",
                expires_in: state.keys.ttl.as_secs(),
            }))
        }
        _ => {
            state.throttle.failed(&address, &email);
            Err(ApiError::BadCredentials)
        }
    }
}

/// The signed-in user.
#[utoipa::path(tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, who: Caller) -> Result<web::Json<UserView>, ApiError> {
    let row = state.db(move |conn| Ok(users::me(conn, &who)?)).await?;
    Ok(web::Json(row.into()))
}
