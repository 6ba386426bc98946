//! Signing in and finding out who you are.

use std::net::IpAddr;

use actix_web::{HttpRequest, get, post, web};
use beacon_core::Email;
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::Body;
use super::params::utc;
use super::problem::ApiError;
use super::state::AppState;
use super::users::UserView;
use crate::app::{Caller, register, sign_in, users};
use crate::password::HasherError;
use beacon_db::records::User;

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
/// email get the same answer in the same time. Each account allows a handful of
/// guesses per client address per quarter hour; an account under attack from many
/// addresses admits one guess at a time, from addresses that have not failed at it.
#[utoipa::path(operation_id = "sign_in", tag = "auth", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "Wrong email or password", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failures; see Retry-After", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/auth/token")]
#[tracing::instrument(skip(state, request, body), fields(email))]
pub async fn token(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Body<TokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let TokenRequest { email, password } = body.into_inner();
    let user = authenticate(&state, &request, &email, password).await?;
    Ok(web::Json(TokenResponse {
        access_token: state.keys.issue(user.id, user.role, user.token_version)?,
        token_type: "Bearer",
        expires_in: state.keys.ttl.as_secs(),
    }))
}

/// The active account an email and password name, under the sign-in throttle: the
/// one check behind a bearer token and a web session alike. A wrong password and an
/// unknown email get the same answer in the same time.
pub(crate) async fn authenticate(
    state: &AppState,
    request: &HttpRequest,
    email: &str,
    password: String,
) -> Result<User, ApiError> {
    // A malformed email cannot have an account, so there is nothing to throttle: the
    // same 401 as any other miss, after the same work (the hasher verifies against its
    // dummy hash).
    let parsed = Email::parse(email).ok();
    tracing::Span::current().record("email", parsed.as_ref().map_or("", |e| e.as_str()));
    let attempt = match &parsed {
        Some(email) => {
            let account = email.as_str().to_string();
            let address = client_address(request, &state.trusted_proxies);
            let begun = state
                .db_write(move |conn| Ok(sign_in::begin(conn, &account, &address)?))
                .await?;
            Some(begun.map_err(|wait| {
                state.metrics.locked_out();
                ApiError::TooManyRequests {
                    retry_after: wait.as_secs().max(1),
                }
            })?)
        }
        None => None,
    };
    let credentials = match parsed {
        Some(parsed) => {
            state
                .db(move |conn| Ok(users::credentials(conn, &parsed)?))
                .await?
        }
        None => None,
    };
    let stored = credentials.as_ref().map(|c| c.password_hash.clone());
    let checked = state.hasher.verify(password, stored).await;
    let user = match (&checked, credentials) {
        (Ok(true), Some(c)) if c.user.active => Some(c.user),
        _ => None,
    };
    if let Some(attempt) = attempt {
        let outcome = checked.as_ref().ok().map(|_| user.is_some());
        state
            .db_write(move |conn| Ok(sign_in::finish(conn, attempt, outcome)?))
            .await?;
    }
    checked?;
    user.ok_or_else(|| {
        state.metrics.sign_in_failed();
        ApiError::BadCredentials
    })
}

/// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
/// address in `X-Forwarded-For` that is not one (the entries to its left are the
/// client's to write, and cannot be believed).
fn client_address(request: &HttpRequest, trusted: &[IpNet]) -> String {
    let Some(peer) = request.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => client = ip,
            Ok(ip) => return ip.to_string(),
            Err(_) => break,
        }
    }
    client.to_string()
}

/// A programme the signed-in user owns.
#[derive(Serialize, ToSchema)]
pub struct OwnedProgramme {
    #[schema(example = "pnd-transformation")]
    pub code: String,
    pub name: String,
    /// red, amber_red, amber, amber_green or green; null when never rated.
    #[schema(example = "amber_red")]
    pub rating: Option<String>,
    pub rating_since: Option<DateTime<Utc>>,
}

/// The signed-in user and the programmes they own.
#[derive(Serialize, ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    /// In code order; `GET /programmes?owner=me` gives them in full.
    pub programmes: Vec<OwnedProgramme>,
}

/// The signed-in user, with the programmes they own.
#[utoipa::path(operation_id = "get_me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = MeView),
    (status = 401, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, who: Caller) -> Result<web::Json<MeView>, ApiError> {
    let cache = state.owners.clone();
    let (user, owned) = state
        .db(move |conn| {
            let user = users::me(conn, &who)?;
            Ok((user, register::owned_programmes(conn, &cache, &who)?))
        })
        .await?;
    Ok(web::Json(MeView {
        user: user.into(),
        programmes: owned
            .into_iter()
            .map(|detail| OwnedProgramme {
                code: detail.programme.code.to_string(),
                name: detail.programme.name,
                rating: detail.programme.rating.map(|r| r.to_string()),
                rating_since: detail.programme.rating_since.map(utc),
            })
            .collect(),
    }))
}
