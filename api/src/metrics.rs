//! Prometheus metrics at `GET /metrics`: requests by route, method and status with
//! their latency, the database pool, alerts by status and the oldest one waiting, audit
//! entries not yet in the chain, and sign-in failures and lockouts. Counters are this
//! process's (Prometheus adds up the replicas); the alert and audit figures are read
//! from the database when scraped, so every replica reports the register's.

use std::sync::atomic::AtomicU64;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use secrecy::{ExposeSecret, SecretString};

use crate::rest::problem::ApiError;
use crate::rest::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    status: String,
}

/// Request latency buckets: 1 ms to about 8 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 14))
}

/// What one server counts, and who may read it.
pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    latency: Family<Route, Histogram, fn() -> Histogram>,
    pool: Family<State, Gauge>,
    /// Requests waiting for a database connection now.
    pub pool_waiting: Gauge,
    alerts: Family<Status, Gauge>,
    oldest_pending: Gauge<f64, AtomicU64>,
    unsealed: Gauge,
    sign_in_failures: Counter,
    lockouts: Counter,
    /// BEACON_METRICS_TOKEN: without it, only this machine may scrape.
    token: Option<SecretString>,
}

impl Metrics {
    pub fn new(token: Option<SecretString>) -> Self {
        let mut m = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            pool: Family::default(),
            pool_waiting: Gauge::default(),
            alerts: Family::default(),
            oldest_pending: Gauge::default(),
            unsealed: Gauge::default(),
            sign_in_failures: Counter::default(),
            lockouts: Counter::default(),
            token,
        };
        m.registry.register(
            "beacon_http_requests",
            "HTTP requests answered, by method, route and status",
            m.requests.clone(),
        );
        m.registry.register(
            "beacon_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route",
            m.latency.clone(),
        );
        m.registry.register(
            "beacon_db_pool_connections",
            "Database connections held by the pool, by state (idle or in_use)",
            m.pool.clone(),
        );
        m.registry.register(
            "beacon_db_pool_waiting",
            "Requests waiting for a database connection",
            m.pool_waiting.clone(),
        );
        m.registry.register(
            "beacon_alerts",
            "Alerts in the register, by status (pending, sent, failed)",
            m.alerts.clone(),
        );
        m.registry.register(
            "beacon_alerts_oldest_pending_age_seconds",
            "How long the oldest pending alert has waited; 0 with none",
            m.oldest_pending.clone(),
        );
        m.registry.register(
            "beacon_audit_unsealed_entries",
            "Audit entries written but not yet linked into the hash chain",
            m.unsealed.clone(),
        );
        m.registry.register(
            "beacon_sign_in_failures",
            "Sign-ins refused for a wrong email or password",
            m.sign_in_failures.clone(),
        );
        m.registry.register(
            "beacon_sign_in_lockouts",
            "Sign-ins turned away by the throttle",
            m.lockouts.clone(),
        );
        m
    }

    pub fn sign_in_failed(&self) {
        self.sign_in_failures.inc();
    }

    pub fn locked_out(&self) {
        self.lockouts.inc();
    }

    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_string(), route.to_string());
        self.latency
            .get_or_create(&Route {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&Request {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Whether `request` may read the metrics: with a token set, it must bear it;
    /// without, it must come from this machine.
    fn allows(&self, request: &HttpRequest) -> Result<(), ApiError> {
        match &self.token {
            Some(token) => {
                let bearer = request
                    .headers()
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "));
                let expected = token.expose_secret().as_bytes();
                match bearer {
                    Some(given) if constant_time_eq(given.trim().as_bytes(), expected) => Ok(()),
                    _ => Err(ApiError::Forbidden(
                        "send the metrics token (BEACON_METRICS_TOKEN) as a bearer token".into(),
                    )),
                }
            }
            None if request.peer_addr().is_some_and(|a| a.ip().is_loopback()) => Ok(()),
            None => Err(ApiError::Forbidden(
                "metrics are served to this machine only; set BEACON_METRICS_TOKEN to scrape from elsewhere".into(),
            )),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counts every request by its route's pattern (`/api/v1/programmes/{code}`), never
/// its path, so the metrics stay few whatever is asked for; unknown paths are
/// `unmatched`.
pub async fn count_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let method = request.method().to_string();
    let response = next.call(request).await?;
    if let Some(state) = state {
        let route = response
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        let status = response.status().as_u16();
        let seconds = started.elapsed().as_secs_f64();
        state.metrics.record(&method, &route, status, seconds);
    }
    Ok(response)
}

/// `GET /metrics`, in Prometheus's text format.
pub async fn scrape(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let metrics = state.metrics.clone();
    metrics.allows(&request)?;
    let pool = state.pool.state();
    let idle = i64::from(pool.idle_connections);
    metrics
        .pool
        .get_or_create(&State {
            state: "idle".into(),
        })
        .set(idle);
    metrics
        .pool
        .get_or_create(&State {
            state: "in_use".into(),
        })
        .set(i64::from(pool.connections) - idle);
    let figures = state
        .db(|conn| Ok(crate::app::operations::figures(conn)?))
        .await?;
    for (status, count) in figures.alerts {
        metrics.alerts.get_or_create(&Status { status }).set(count);
    }
    metrics.oldest_pending.set(figures.oldest_pending_seconds);
    metrics.unsealed.set(figures.unsealed);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry)
        .map_err(|e| ApiError::Internal(format!("encoding metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        ))
        .body(text))
}
