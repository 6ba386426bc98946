//! Who is asking: the user a request's bearer token names, as stored now.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::problem::{ApiError, TokenFault};
use super::state::AppState;
use crate::app::{Caller, users};

/// The signed-in user, as stored now: a disabled account, a changed role or a new
/// password ends the tokens issued before it.
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let token = token.ok_or(ApiError::Unauthenticated)?;
            let bearer = state.keys.bearer(&token).map_err(ApiError::InvalidToken)?;
            state
                .db(move |conn| Ok(users::signed_in(conn, bearer.user_id, bearer.version)?))
                .await?
                .ok_or(ApiError::InvalidToken(TokenFault::Ended))
        })
    }
}
