//! Errors as RFC 9457 `application/problem+json`. Every 4xx says what to fix; a 5xx
//! says nothing about why, and the cause goes to the log with the request's id.

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use beacon_core::cut::Uncovered;
use beacon_core::{FundingError, ValidationErrors};
use tracing_actix_web::RequestId;

use crate::app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

/// One field and what is wrong with it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    #[schema(example = "rationale")]
    pub field: String,
    #[schema(
        example = "a red rating needs a rationale: say why delivery confidence is below green"
    )]
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://beacon.police.uk/problems/validation",
    "title": "The request has invalid fields",
    "status": 422,
    "detail": "rationale: a red rating needs a rationale: say why delivery confidence is below green",
    "errors": [{"field": "rationale", "message": "a red rating needs a rationale: say why delivery confidence is below green"}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For an allocation refused by its envelope: what is left in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headroom_pence: Option<i64>,
    /// For a cut refused because it leaves allocations uncovered: how much more must be
    /// withdrawn, and each programme's allocation that the envelope would no longer cover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excess_pence: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub uncovered: Vec<UncoveredAllocation>,
    /// The request's id, also in the `X-Request-Id` header and on its log lines: quote
    /// it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "3f1c2a9e-8d4b-4c6f-9a51-2b7e0d9c4e11")]
    pub request_id: Option<String>,
}

/// A programme's allocation from the envelope being cut.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UncoveredAllocation {
    #[schema(example = "pnd-transformation")]
    pub programme: String,
    #[schema(example = 1_200_000_000_i64)]
    pub allocated_pence: i64,
}

/// Why a bearer token was refused, as the client is told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFault {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not a token Beacon issues: it is cut short or garbled")]
    Malformed,
    #[error(
        "the token's signature does not match: another server issued it, or the signing key has changed since"
    )]
    BadSignature,
    #[error("the token was issued for another service")]
    NotForBeacon,
    #[error("the token says it was issued in the future")]
    IssuedInFuture,
    #[error(
        "the token was ended by a change to the account: it was disabled, or its password or role changed"
    )]
    Ended,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in: send a bearer token from POST /api/v1/auth/token")]
    Unauthenticated,
    #[error("{0}; sign in again with POST /api/v1/auth/token")]
    InvalidToken(TokenFault),
    #[error("the email or password is wrong")]
    BadCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{method} is not allowed here; use {allowed}")]
    MethodNotAllowed { method: String, allowed: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PreconditionRequired(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("{0}")]
    Funding(FundingError),
    #[error("{0}")]
    Uncovered(Uncovered),
    #[error("too many failed sign-ins; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    #[error("{0}")]
    Unavailable(String),
    /// Something Beacon did not expect; the cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(ValidationErrors::single(field, message))
    }

    /// The problem type's last part, e.g. `validation`: what a log line names.
    pub fn slug(&self) -> &'static str {
        self.slug_and_title().0
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("bad-request", "The request is malformed"),
            ApiError::Unauthenticated => ("unauthenticated", "Sign-in required"),
            ApiError::InvalidToken(_) => ("invalid-token", "The token is not valid"),
            ApiError::BadCredentials => ("bad-credentials", "Sign-in failed"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed for your role"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("conflict", "Conflicts with the current state"),
            ApiError::PreconditionFailed(_) => ("stale", "The record changed since you read it"),
            ApiError::PreconditionRequired(_) => ("precondition-required", "If-Match is required"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "The request body is too large"),
            ApiError::UnsupportedMediaType(_) => ("unsupported-media-type", "Send JSON"),
            ApiError::Invalid(_) => ("validation", "The request has invalid fields"),
            ApiError::Funding(_) => ("funding-rule", "The funding rules refuse this"),
            ApiError::Uncovered(_) => (
                "cut-leaves-allocations-uncovered",
                "The cut would leave allocations without money",
            ),
            ApiError::TooManyRequests { .. } => ("too-many-requests", "Too many attempts"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let errors = match self {
            ApiError::Invalid(errors) => errors
                .fields()
                .iter()
                .map(|e| FieldProblem {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let headroom_pence = match self {
            ApiError::Funding(FundingError::EnvelopeExceeded { headroom, .. }) => {
                Some(headroom.get())
            }
            _ => None,
        };
        let (excess_pence, uncovered) = match self {
            ApiError::Uncovered(u) => (
                Some(u.excess().get()),
                u.allocations
                    .iter()
                    .map(|holding| UncoveredAllocation {
                        programme: holding.programme.to_string(),
                        allocated_pence: holding.held.get(),
                    })
                    .collect(),
            ),
            _ => (None, Vec::new()),
        };
        let detail = match self {
            ApiError::Internal(_) => {
                "Beacon could not complete the request; it has been logged".to_string()
            }
            other => other.to_string(),
        };
        Problem {
            kind: format!("https://beacon.police.uk/problems/{slug}"),
            title: title.to_string(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            headroom_pence,
            excess_pence,
            uncovered,
            request_id: None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated | ApiError::InvalidToken(_) | ApiError::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::Uncovered(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) | ApiError::Funding(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            ApiError::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            ApiError::Unauthenticated | ApiError::BadCredentials => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"beacon\""));
            }
            ApiError::InvalidToken(fault) => {
                // RFC 6750, section 3: the description is plain ASCII without quotes.
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"beacon\", error=\"invalid_token\", error_description=\"{fault}\""
                    ),
                ));
            }
            ApiError::MethodNotAllowed { allowed, .. } => {
                response.insert_header((header::ALLOW, allowed.clone()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(message) => ApiError::NotFound(message),
            AppError::Denied(denied) => ApiError::Forbidden(denied.to_string()),
            AppError::Conflict(message) => ApiError::Conflict(message),
            AppError::Stale(message) => ApiError::PreconditionFailed(message),
            AppError::Invalid(errors) => ApiError::Invalid(errors),
            AppError::Funding(error) => ApiError::Funding(error),
            AppError::Uncovered(uncovered) => ApiError::Uncovered(uncovered),
            AppError::Unavailable(cause) => {
                tracing::error!(%cause, "database unreachable");
                ApiError::Unavailable("the database is not answering; try again shortly".into())
            }
            AppError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<beacon_db::DbError> for ApiError {
    fn from(error: beacon_db::DbError) -> Self {
        AppError::from(error).into()
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Invalid(errors)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(error)
    }
}

/// Puts the request's id into every problem document, as `request_id`, so the one id a
/// user quotes finds the server's log lines. Runs inside compression, on the document
/// as written.
pub(crate) async fn with_request_id<B: MessageBody + 'static>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string());
    let response = next.call(request).await?;
    let problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    let Some(id) = id.filter(|_| problem) else {
        return Ok(response.map_into_left_body());
    };
    let (request, response) = response.into_parts();
    let (response, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut fields)) => {
            fields.insert("request_id".into(), id.into());
            serde_json::to_vec(&fields).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    let response = response.set_body(body).map_into_boxed_body();
    Ok(ServiceResponse::new(request, response).map_into_right_body())
}
