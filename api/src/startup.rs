//! Building and running the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use beacon_core::{Email, Role};
use secrecy::ExposeSecret;
use serde_json::error::Category;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{Throttle, TokenKeys};
use crate::password::Hasher;
use crate::problem::ApiError;
use crate::routes;
use crate::settings::Settings;
use crate::state::AppState;

/// The largest JSON body accepted; nothing Beacon takes is near it.
const BODY_LIMIT: usize = 64 * 1024;

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
fn routes() -> (
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
    App::new()
        // Registered ahead of the /api/v1 scope, which would otherwise claim the path.
        .route("/api/v1/openapi.json", web::get().to(openapi_json))
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(routes::health::healthz)
        .service(routes::health::readyz)
        .service(
            scope("/api/v1")
                .service(routes::auth::token)
                .service(routes::auth::me)
                .service(routes::users::list)
                .service(routes::users::create)
                .service(routes::users::get)
                .service(routes::users::update)
                .service(routes::forces::list)
                .service(routes::forces::get)
                .service(routes::programmes::list)
                .service(routes::programmes::create)
                .service(routes::programmes::get)
                .service(routes::programmes::update)
                .service(routes::programmes::add_owner)
                .service(routes::programmes::remove_owner)
                .service(routes::status_reports::create)
                .service(routes::status_reports::list)
                .service(routes::funding::list_streams)
                .service(routes::funding::create_stream)
                .service(routes::funding::get_stream)
                .service(routes::funding::set_envelope)
                .service(routes::funding::allocate)
                .service(routes::funding::record_spend)
                .service(routes::history::list)
                .service(routes::summary::get)
                .service(routes::portfolio::get)
                .service(routes::audit::list)
                .service(routes::audit::verify)
                .service(routes::alerts::list)
                .service(routes::alerts::retry),
        )
        .split_for_parts()
}

/// The document rendered once at start-up.
struct OpenApiJson(String);

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
type KnownPaths = Arc<Vec<(actix_web::dev::ResourceDef, Vec<Method>)>>;

fn known_paths(doc: &utoipa::openapi::OpenApi) -> KnownPaths {
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

async fn unmatched(request: HttpRequest, known: web::Data<KnownPaths>) -> HttpResponse {
    unmatched_error(&request, &known).error_response()
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

fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let api_error = match &error {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge(format!(
                "the body is larger than the {} KiB Beacon accepts",
                BODY_LIMIT / 1024
            ))
        }
        JsonPayloadError::Deserialize(cause) => match cause.classify() {
            Category::Data => ApiError::field("body", cause.to_string()),
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::BadRequest(format!("the body is not valid JSON: {cause}"))
            }
        },
        other => ApiError::BadRequest(format!("cannot read the body: {other}")),
    };
    api_error.into()
}

fn query_error(error: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::field("query", format!("the query string is not valid: {error}")).into()
}

fn path_error(error: PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("the path is not valid: {error}")).into()
}

/// Echoes the request id that tracing-actix-web gave the request, so a user reporting
/// a problem can quote it and an operator can find its log lines.
async fn request_id_header(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let id: Option<String> = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string());
    let mut response = next.call(request).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

pub struct Application {
    port: u16,
    server: Server,
    /// Stopped (after the alert in hand) when the server stops.
    worker: Option<crate::alert_worker::WorkerHandle>,
    /// Seals the last entries and stops when the server stops.
    sealer: crate::audit_sealer::SealerHandle,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Settings(String),
    #[error(transparent)]
    Database(#[from] beacon_db::DbError),
    #[error("cannot listen on {address}: {cause}")]
    Bind {
        address: String,
        cause: std::io::Error,
    },
    #[error(transparent)]
    Hasher(#[from] crate::password::HashError),
}

impl Application {
    /// Opens the database, makes sure there is an admin, and binds the listener (port 0
    /// picks a free port, as the tests do).
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.check().map_err(StartupError::Settings)?;
        let opened = crate::database::open(settings.database_url.as_deref())?;
        if let Some(added) = &opened.seeded {
            tracing::info!(
                records = added.total(),
                "created the embedded database and loaded the public seed data"
            );
        }
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.expose_secret().as_bytes().to_vec(),
            None => {
                tracing::warn!(
                    "BEACON_JWT_SECRET is not set: using a random secret, so tokens end when the server stops"
                );
                (0..4)
                    .flat_map(|_| rand::random::<u64>().to_le_bytes())
                    .collect()
            }
        };
        let hasher = Hasher::start(1)?;
        ensure_admin(&opened.pool, &settings)?;
        let background =
            beacon_db::pool::connect(&opened.url, &beacon_db::PoolOptions::background())?;
        // The alert worker is built before the listener so that a
        // bad SMTP URL or sender stops start-up with a message, not the first alert.
        let worker = if settings.alerts.enabled {
            let worker = crate::alert_worker::Worker::new(
                background.clone(),
                settings.alerts.clone(),
                &opened.url,
            )
            .map_err(|e| StartupError::Settings(e.to_string()))?;
            Some(
                crate::alert_worker::WorkerHandle::spawn(worker).map_err(|cause| {
                    StartupError::Settings(format!("cannot start the alert worker: {cause}"))
                })?,
            )
        } else {
            tracing::info!("BEACON_ALERTS=off: no alerts are written or sent");
            None
        };
        let sealer = crate::audit_sealer::SealerHandle::spawn(background).map_err(|cause| {
            StartupError::Settings(format!("cannot start the audit sealer: {cause}"))
        })?;
        let state = AppState {
            alerts: Arc::new(settings.alerts.policy()),
            pool: opened.pool,
            keys: Arc::new(TokenKeys::new(&secret, settings.token_ttl())),
            throttle: Arc::new(Throttle::new(Duration::from_secs(15 * 60), 5, 30)),
            hasher,
        };
        let listener = TcpListener::bind(&settings.bind).map_err(|cause| StartupError::Bind {
            address: settings.bind.clone(),
            cause,
        })?;
        let port = listener
            .local_addr()
            .map_err(|cause| StartupError::Bind {
                address: settings.bind.clone(),
                cause,
            })?
            .port();
        let state = web::Data::new(state);
        let mut server = HttpServer::new(move || {
            let (app, doc) = routes();
            let known = web::Data::new(known_paths(&doc));
            let json = web::Data::new(OpenApiJson(doc.to_pretty_json().unwrap_or_default()));
            app.app_data(state.clone())
                .app_data(known)
                .app_data(json)
                .app_data(
                    web::JsonConfig::default()
                        .limit(BODY_LIMIT)
                        .content_type_required(true)
                        .error_handler(json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", doc))
                .service(web::redirect("/docs", "/docs/"))
                .default_service(web::to(unmatched))
                .wrap(Compress::default())
                .wrap(from_fn(request_id_header))
                .wrap(TracingLogger::default())
        })
        .shutdown_timeout(30)
        .listen(listener)
        .map_err(|cause| StartupError::Bind {
            address: settings.bind.clone(),
            cause,
        })?;
        if let Some(workers) = settings.workers {
            server = server.workers(usize::from(workers));
        }
        Ok(Application {
            port,
            server: server.run(),
            worker,
            sealer,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (the tests do).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then lets in-flight requests finish (up to 30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        drop(self.worker);
        drop(self.sealer);
        result
    }
}

/// On first start there must be a way in: an admin from BEACON_ADMIN_EMAIL and
/// BEACON_ADMIN_PASSWORD, or one with a generated password printed once.
fn ensure_admin(pool: &beacon_db::Pool, settings: &Settings) -> Result<(), StartupError> {
    let mut conn = pool.get().map_err(beacon_db::DbError::from)?;
    if !beacon_db::users::page(&mut conn, None, 1)?.is_empty() {
        return Ok(());
    }
    let email = match &settings.admin_email {
        Some(email) => email.clone(),
        None => Email::parse("admin@beacon.local")
            .map_err(|e| StartupError::Settings(format!("BEACON_ADMIN_EMAIL: {e}")))?,
    };
    let (password, generated) = match &settings.admin_password {
        Some(password) => {
            let password = password.expose_secret().to_string();
            beacon_core::user::validate_password(&password)
                .map_err(|e| StartupError::Settings(format!("BEACON_ADMIN_PASSWORD: {e}")))?;
            (password, false)
        }
        None => (generate_password(), true),
    };
    let hash = crate::password::hash(&password)?;
    beacon_db::users::create(
        &mut conn,
        &beacon_db::Actor::system("beacon serve"),
        &email,
        Role::Admin,
        &hash,
    )?;
    if generated {
        // Printed once, to the operator's terminal, never to the log.
        println!(
            "Created the first admin account: {email}\nIts password (shown only now): {password}"
        );
    } else {
        tracing::info!(%email, "created the first admin account");
    }
    Ok(())
}

fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}
