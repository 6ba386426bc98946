//! Logs: human-readable by default, JSON with `BEACON_LOG_FORMAT=json`, filtered by
//! `BEACON_LOG` (see `settings::LogSettings`).

use std::io::IsTerminal;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;

use crate::rest::problem::ApiError;

use crate::settings::{LogFormat, LogSettings};

/// Starts logging to stderr; `default_level` applies when `BEACON_LOG` is not set.
pub fn init(settings: &LogSettings, default_level: &str) {
    let level = settings.log.as_deref().unwrap_or(default_level);
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, never into a log file.
        .with_ansi(std::io::stderr().is_terminal());
    // try_init: a second call (tests start several servers) keeps the first subscriber.
    let _ = match settings.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// One span per request carrying what a reader needs (method, path, request id), and
/// one line when a request fails: INFO for a client's mistake, which is routine, ERROR
/// for Beacon's own. Neither carries headers or bodies, so no token or password.
pub struct RequestSpans;

impl RootSpanBuilder for RequestSpans {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            %request_id
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => (response.status(), response.response().error()),
            Err(error) => (error.as_response_error().status_code(), Some(error)),
        };
        let problem = error
            .and_then(|e| e.as_error::<ApiError>())
            .map_or("none", ApiError::slug);
        let status = status.as_u16();
        span.in_scope(|| {
            if status >= 500 {
                tracing::error!(status, problem, "answered with a server error");
            } else if status >= 400 {
                tracing::info!(status, problem, "request refused");
            }
        });
    }
}
