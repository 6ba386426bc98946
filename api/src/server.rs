//! Building and running the HTTP server: the database, the first admin, the
//! background work beside the requests (the alert worker and the audit sealer), and the
//! REST API with its documentation.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{HttpServer, web};
use beacon_core::Email;
use beacon_core::checkpoint::CheckpointKey;
use secrecy::{ExposeSecret, SecretString};
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::SwaggerUi;

use crate::alert_worker::{Worker, WorkerHandle};
use crate::app::AppError;
use crate::app::users::{self, AdminAtStart};
use crate::audit_sealer::SealerHandle;
use crate::database::Opened;
use crate::password::Hasher;
use crate::rest::headers::{self, Hsts};
use crate::rest::state::AppState;
use crate::rest::tokens::TokenKeys;
use crate::rest::{self, BODY_LIMIT, OpenApiJson};
use crate::settings::{Environment, Settings};
use crate::telemetry::RequestSpans;

/// The first admin's email when BEACON_ADMIN_EMAIL is not set.
pub const DEFAULT_ADMIN: &str = "admin@beacon.local";

pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    /// Stopped (after the batch in hand) when the server stops.
    worker: Option<WorkerHandle>,
    /// Seals the last entries and stops when the server stops.
    sealer: SealerHandle,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Settings(String),
    #[error(transparent)]
    Database(#[from] beacon_db::DbError),
    #[error(transparent)]
    App(#[from] AppError),
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
    pub fn build(mut settings: Settings) -> Result<Self, StartupError> {
        settings.check().map_err(StartupError::Settings)?;
        let opened = crate::database::open(settings.database_url.as_deref())?;
        if let Some(added) = &opened.seeded {
            tracing::info!(
                records = added.total(),
                "created the embedded database and loaded the public seed data"
            );
        }
        ensure_admin(&opened.pool, &settings)?;
        let bind = settings.bind.clone();
        let bind_error = |cause| StartupError::Bind {
            address: bind.clone(),
            cause,
        };
        let listener = TcpListener::bind(&settings.bind).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        // Alert links lead back to this server unless the operator says otherwise.
        settings
            .alerts
            .public_url
            .get_or_insert_with(|| crate::settings::url_of(address));
        let (worker, sealer) = start_background(&settings, &opened)?;
        // Tokens and audit checkpoints are signed with keys from one shared secret, so
        // every server of a register honours the other's tokens and signs alike.
        let secret = secret_or_random(settings.jwt_secret.as_ref(), "BEACON_JWT_SECRET", "tokens");
        let state = AppState {
            alerts: Arc::new(settings.alerts.rules.policy()),
            owners: Arc::default(),
            writes: beacon_db::pool::writes(&opened.url, &opened.pool)?,
            pool: opened.pool,
            keys: Arc::new(TokenKeys::new(&secret, settings.token_ttl())),
            checkpoints: Arc::new(CheckpointKey::derive(&secret)),
            trusted_proxies: Arc::new(settings.trusted_proxies.0.clone()),
            metrics: Arc::new(crate::metrics::Metrics::new(settings.metrics_token.clone())),
            hasher: Hasher::start(1)?,
        };
        let production = settings.environment == Environment::Production;
        let pages = WebSettings {
            hsts: Hsts(production),
            session_key: secret_or_random(
                settings.session_key.as_ref(),
                "BEACON_SESSION_KEY",
                "web sessions",
            ),
            secure_cookies: production,
            shown: crate::web::PageSettings {
                cadence_days: settings.alerts.cadence_days,
            },
        };
        let threads = (settings.workers, settings.shutdown_timeout_seconds);
        let server = http_server(state, listener, threads, pages).map_err(bind_error)?;
        Ok(Application {
            address,
            server,
            worker,
            sealer,
        })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Where a browser on this machine reaches the server.
    pub fn url(&self) -> String {
        crate::settings::url_of(self.address)
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

/// A key from the settings, or a random one for this run, said in the log.
fn secret_or_random(secret: Option<&SecretString>, name: &str, what: &str) -> Vec<u8> {
    match secret {
        Some(secret) => secret.expose_secret().as_bytes().to_vec(),
        None => {
            tracing::warn!(
                "{name} is not set: using a random key, so {what} end when the server stops"
            );
            (0..4)
                .flat_map(|_| rand::random::<u64>().to_le_bytes())
                .collect()
        }
    }
}

/// What the web pages need from the settings.
struct WebSettings {
    hsts: Hsts,
    session_key: Vec<u8>,
    /// Session cookies over HTTPS only (production, behind TLS).
    secure_cookies: bool,
    shown: crate::web::PageSettings,
}

/// The alert worker and the audit sealer, on a pool of their own so that a request
/// never waits for a connection they hold. The worker is built before the listener, so
/// a bad SMTP URL or sender stops start-up with a message, not the first alert.
fn start_background(
    settings: &Settings,
    opened: &Opened,
) -> Result<(Option<WorkerHandle>, SealerHandle), StartupError> {
    let background = beacon_db::pool::connect(&opened.url, &beacon_db::PoolOptions::background())?;
    let worker = if settings.alerts.rules.enabled {
        let worker = Worker::new(background.clone(), settings.alerts.clone(), &opened.url)
            .map_err(|e| StartupError::Settings(e.to_string()))?;
        Some(WorkerHandle::spawn(worker).map_err(|cause| {
            StartupError::Settings(format!("cannot start the alert worker: {cause}"))
        })?)
    } else {
        tracing::info!("BEACON_ALERTS=off: no alerts are written or sent");
        None
    };
    let sealer = SealerHandle::spawn(background).map_err(|cause| {
        StartupError::Settings(format!("cannot start the audit sealer: {cause}"))
    })?;
    Ok((worker, sealer))
}

/// The REST API, its OpenAPI document and interactive docs, on `listener`.
/// `threads` is the number of workers (one per core when not set) and how long, in
/// seconds, they may finish requests in flight after a stop signal.
fn http_server(
    state: AppState,
    listener: TcpListener,
    (workers, shutdown_seconds): (Option<u16>, u64),
    pages: WebSettings,
) -> std::io::Result<Server> {
    let state = web::Data::new(state);
    let hsts = web::Data::new(pages.hsts);
    let shown = web::Data::new(pages.shown);
    let (session_key, secure_cookies) = (pages.session_key, pages.secure_cookies);
    let mut server = HttpServer::new(move || {
        let (app, doc) = rest::routes();
        let known = web::Data::new(rest::known_paths(&doc));
        let json = web::Data::new(OpenApiJson(doc.to_pretty_json().unwrap_or_default()));
        app.app_data(state.clone())
            .app_data(hsts.clone())
            .app_data(shown.clone())
            .app_data(known)
            .app_data(json)
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .app_data(web::QueryConfig::default().error_handler(rest::query_error))
            .app_data(web::PathConfig::default().error_handler(rest::path_error))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", doc))
            .service(web::redirect("/docs", "/docs/"))
            .route("/metrics", web::get().to(crate::metrics::scrape))
            .configure(crate::web::routes)
            .default_service(web::to(rest::unmatched))
            .wrap(from_fn(crate::web::framed))
            .wrap(crate::web::session::middleware(
                &session_key,
                secure_cookies,
            ))
            .wrap(from_fn(rest::input::refuse_control_characters))
            .wrap(from_fn(rest::head::as_get))
            .wrap(from_fn(rest::problem::with_request_id))
            .wrap(Compress::default())
            .wrap(from_fn(headers::on_every_response))
            .wrap(from_fn(crate::metrics::count_requests))
            .wrap(TracingLogger::<RequestSpans>::new())
    })
    .shutdown_timeout(shutdown_seconds)
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(usize::from(workers));
    }
    Ok(server.run())
}

/// There must be a way in. On first start: an admin from BEACON_ADMIN_EMAIL and
/// BEACON_ADMIN_PASSWORD, or one with a generated password printed once. Later, when
/// those settings name an account that is missing it is made, and when they disagree
/// with the account that is there the operator is told, so a sign-in that then fails
/// is not a mystery.
fn ensure_admin(pool: &beacon_db::Pool, settings: &Settings) -> Result<(), StartupError> {
    let mut conn = pool.get().map_err(beacon_db::DbError::from)?;
    let first_start = users::none_yet(&mut conn)?;
    if !first_start && settings.admin_email.is_none() && settings.admin_password.is_none() {
        return Ok(());
    }
    let email = match &settings.admin_email {
        Some(email) => email.clone(),
        None => Email::parse(DEFAULT_ADMIN)
            .map_err(|e| StartupError::Settings(format!("BEACON_ADMIN_EMAIL: {e}")))?,
    };
    let password = settings.admin_password.as_ref().map(|p| p.expose_secret());
    if let Some(password) = password {
        beacon_core::user::validate_password(password)
            .map_err(|e| StartupError::Settings(format!("BEACON_ADMIN_PASSWORD: {e}")))?;
    }
    match users::admin_at_start(&mut conn, &email, password)? {
        AdminAtStart::Created {
            generated_password: Some(password),
            ..
        } => {
            // Printed once, to the operator's terminal, never to the log.
            let which = if first_start { "the first" } else { "the" };
            println!(
                "Created {which} admin account: {email}\nIts password (shown only now): {password}"
            );
        }
        AdminAtStart::Created { user, .. } => {
            tracing::info!(email = %user.email, id = user.id, "created the admin account named by BEACON_ADMIN_EMAIL");
        }
        AdminAtStart::AsSet => {}
        AdminAtStart::PasswordDiffers { .. } => tracing::warn!(
            "BEACON_ADMIN_PASSWORD is not the password of {email}, which already exists: its password is unchanged; sign in with it, or set a new one with `beacon user reset-password --email {email}`"
        ),
        AdminAtStart::NotAnActiveAdmin { user } => tracing::warn!(
            "BEACON_ADMIN_EMAIL names {email}, which exists as {} ({}): it is left as it is; an admin can change it",
            user.role,
            if user.active { "active" } else { "disabled" }
        ),
    }
    Ok(())
}
