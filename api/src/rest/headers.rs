//! Headers every response carries: the request id a user can quote, and the ones that
//! keep browsers and caches from doing with Beacon's answers what they should not.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing_actix_web::RequestId;

/// Whether responses tell browsers to use HTTPS only (`BEACON_ENV=production`, where
/// Beacon sits behind TLS).
#[derive(Debug, Clone, Copy)]
pub struct Hsts(pub bool);

/// Scripts and styles from Beacon itself only; no framing, no plugins. The docs page
/// (Swagger UI) styles elements inline and shows its logo as a data URL.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
    style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'self'";

/// Echoes the request id that tracing-actix-web gave the request, so a user reporting
/// a problem can quote it and an operator can find its log lines; and adds the
/// protective headers: `nosniff` everywhere, `no-store` on the API (its answers are
/// one user's view, tokens among them), framing and script rules on HTML, and HSTS in
/// production.
pub(crate) async fn on_every_response(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id: Option<String> = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string());
    let api = request.path().starts_with("/api/");
    let hsts = request
        .app_data::<actix_web::web::Data<Hsts>>()
        .is_some_and(|hsts| hsts.0);
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Ok(response)
}
