//! The HTTP API under `/api/v1`, one module per resource. Every handler is registered
//! through utoipa-actix-web so that it appears in the OpenAPI document; a handler
//! parses, calls the use case in `app`, and renders.

mod alerts;
pub(crate) mod audit;
mod body;
mod caller;
pub(crate) mod csv_export;
mod document;
mod forces;
mod funding;
pub(crate) mod head;
pub(crate) mod headers;
mod health;
pub(crate) mod history;
pub(crate) mod input;
pub(crate) mod pagination;
pub(crate) mod params;
pub(crate) mod portfolio;
pub(crate) mod problem;
mod programme_list;
mod programmes;
pub(crate) mod sign_in;
pub(crate) mod state;
mod status_reports;
pub(crate) mod summary;
pub(crate) mod tokens;
mod users;

use std::sync::Arc;

use actix_web::dev::ServiceResponse;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::Method;
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::{AppExt, scope};

use problem::ApiError;

/// The largest JSON body accepted; nothing Beacon takes is near it.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Beacon",
        description = "The national register of police technology programmes in England and Wales: \
            programmes and their delivery confidence, funding streams, envelopes, allocations and spend.\n\n\
            Sign in with `POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`. \
            Money is always whole pence (`*_pence`); financial years are written `2025-26`; \
            errors are RFC 9457 `application/problem+json`.",
        license(name = "MIT")
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Signing in"),
        (name = "programmes", description = "The register of programmes"),
        (name = "status reports", description = "Delivery confidence, reported by programme leads"),
        (name = "funding", description = "Funding streams, envelopes, allocations and spend"),
        (name = "portfolio", description = "Every programme's rating and money on one date"),
        (name = "users", description = "Accounts and roles (admin)"),
        (name = "alerts", description = "Email alerts to programme owners, and their delivery (admin, auditor)"),
        (name = "forces", description = "Police forces"),
        (name = "operations", description = "Health checks"),
    )
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("A token from POST /api/v1/auth/token"))
                    .build(),
            ),
        );
    }
}

/// The application's routes, as an app and the OpenAPI document describing them.
pub(crate) fn routes() -> (
    App<
        impl actix_web::dev::ServiceFactory<
            actix_web::dev::ServiceRequest,
            Config = (),
            Response = ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    let (app, mut doc) = App::new()
        // Registered ahead of the /api/v1 scope, which would otherwise claim the path.
        .route("/api/v1/openapi.json", web::get().to(openapi_json))
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(health::healthz)
        .service(health::readyz)
        .service(
            scope("/api/v1")
                .service(sign_in::token)
                .service(sign_in::me)
                .service(users::list)
                .service(users::create)
                .service(users::get)
                .service(users::update)
                .service(users::lift_throttle)
                .service(forces::list)
                .service(forces::get)
                .service(programme_list::list)
                .service(programmes::create)
                .service(programmes::get)
                .service(programmes::update)
                .service(programmes::add_owner)
                .service(programmes::remove_owner)
                .service(status_reports::create)
                .service(status_reports::list)
                .service(funding::list_streams)
                .service(funding::create_stream)
                .service(funding::get_stream)
                .service(funding::set_envelope)
                .service(funding::allocate)
                .service(funding::record_spend)
                .service(history::list)
                .service(history::export)
                .service(history::entry)
                .service(summary::get)
                .service(portfolio::get)
                .service(audit::list)
                .service(audit::checkpoint)
                .service(audit::public_key)
                .service(audit::verify_against)
                .service(audit::verify)
                .service(alerts::list)
                .service(alerts::retry),
        )
        .split_for_parts();
    document::complete(&mut doc);
    (app, doc)
}

/// The document rendered once at start-up.
pub(crate) struct OpenApiJson(pub String);

async fn openapi_json(document: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

/// The OpenAPI document, as served at /api/v1/openapi.json and committed.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// Each documented path, as an actix pattern, with the methods it takes: what turns an
/// unmatched request into a 405 (known path) or a 404 (unknown).
pub(crate) type KnownPaths = Arc<Vec<(actix_web::dev::ResourceDef, Vec<Method>)>>;

pub(crate) fn known_paths(doc: &utoipa::openapi::OpenApi) -> KnownPaths {
    let mut known = Vec::new();
    for (path, item) in &doc.paths.paths {
        let mut methods = Vec::new();
        for (method, operation) in [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ] {
            if operation.is_some() {
                methods.push(method);
            }
        }
        known.push((actix_web::dev::ResourceDef::new(path.as_str()), methods));
    }
    Arc::new(known)
}

/// Nothing here: a problem document for the API and its clients, a page for a person
/// whose browser asked for one.
pub(crate) async fn unmatched(request: HttpRequest, known: web::Data<KnownPaths>) -> HttpResponse {
    let error = unmatched_error(&request, &known);
    let browser = request
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if browser && !request.path().starts_with("/api/") {
        if let ApiError::NotFound(_) = error {
            return crate::web::not_found(request.path());
        }
    }
    error.error_response()
}

fn unmatched_error(request: &HttpRequest, known: &KnownPaths) -> ApiError {
    let path = request.path();
    for (pattern, methods) in known.iter() {
        if pattern.is_match(path) && !methods.contains(request.method()) {
            let allowed: Vec<&str> = methods.iter().map(Method::as_str).collect();
            return ApiError::MethodNotAllowed {
                method: request.method().to_string(),
                allowed: allowed.join(", "),
            };
        }
    }
    ApiError::NotFound(format!(
        "nothing at {path}; the API is described at /api/v1/openapi.json and /docs"
    ))
}

/// A query string that does not fit, named by its parameter where serde says which.
pub(crate) fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = match &error {
        QueryPayloadError::Deserialize(cause) => cause.to_string(),
        other => other.to_string(),
    };
    let (field, message) = body::plain_words(&message, "query", "parameter");
    ApiError::field(&field, message).into()
}

/// A path whose id is not a number Beacon could have given names nothing: a 404,
/// as an id that was never used is.
pub(crate) fn path_error(_: PathError, request: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound(format!(
        "nothing at {}: an id in the path is a whole number from 1 to 9223372036854775807",
        request.path()
    ))
    .into()
}
