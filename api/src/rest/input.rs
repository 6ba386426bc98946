//! Control characters are refused wherever they arrive, before any handler sees them:
//! PostgreSQL cannot store NUL, and no reader can see the others. Paths and queries
//! may hold none; JSON bodies may hold tabs and line breaks, which free text fields
//! allow (`beacon_core::text` says which fields do).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, ResponseError};
use futures_util::StreamExt;
use percent_encoding::percent_decode_str;

use super::BODY_LIMIT;
use super::problem::ApiError;

pub(crate) async fn refuse_control_characters(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused =
        in_url(request.path(), "path").or_else(|| in_url(request.query_string(), "query"));
    if let Some(error) = refused {
        return Ok(refuse(request, &error));
    }
    if is_json(&request) {
        // Refused from the headers alone, before a client that asked to continue
        // sends the body.
        if declared_length(&request).is_some_and(|length| length > BODY_LIMIT) {
            return Ok(refuse(request, &too_large()));
        }
        let body = match read_body(request.take_payload()).await {
            Ok(body) => body,
            Err(error) => return Ok(refuse(request, &error)),
        };
        if let Some(error) = in_json(&body) {
            return Ok(refuse(request, &error));
        }
        request.set_payload(Payload::from(body));
    }
    Ok(next.call(request).await?.map_into_left_body())
}

fn refuse<B>(request: ServiceRequest, error: &ApiError) -> ServiceResponse<EitherBody<B>> {
    request
        .into_response(error.error_response())
        .map_into_right_body()
}

/// A control character in a percent-encoded path or query, as a field error.
fn in_url(encoded: &str, field: &str) -> Option<ApiError> {
    let decoded = percent_decode_str(encoded).decode_utf8_lossy();
    beacon_core::text::no_control(&decoded, &[])
        .err()
        .map(|message| ApiError::field(field, message))
}

fn is_json(request: &ServiceRequest) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("json"))
}

fn declared_length(request: &ServiceRequest) -> Option<usize> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
}

/// The refusal of a body over [`BODY_LIMIT`], wherever it is noticed.
pub(super) fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the body is larger than the {} KiB Beacon accepts",
        BODY_LIMIT / 1024
    ))
}

/// The whole body, refusing one larger than Beacon accepts as the JSON reader does.
async fn read_body(mut payload: Payload) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|cause| ApiError::BadRequest(format!("cannot read the body: {cause}")))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A control character other than tab or line break in any string of a JSON body,
/// named by the field it is in. A body that is not JSON is left to the JSON reader's
/// own error.
fn in_json(body: &[u8]) -> Option<ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    first_control(&value, "body")
}

fn first_control(value: &serde_json::Value, at: &str) -> Option<ApiError> {
    use serde_json::Value;
    let check = |text: &str, field: &str| {
        beacon_core::text::no_control(text, &['\t', '\n', '\r'])
            .err()
            .map(|message| ApiError::field(field, message))
    };
    match value {
        Value::String(text) => check(text, at),
        Value::Array(items) => items.iter().find_map(|item| first_control(item, at)),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(name, item)| check(name, at).or_else(|| first_control(item, name))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_anywhere_in_a_url_or_body_is_found() {
        assert!(in_url("/api/v1/programmes/pnd%00x", "path").is_some());
        assert!(in_url("q=a%00b", "query").is_some());
        assert!(in_url("q=a%20b", "query").is_none());
        assert!(in_json(br#"{"name": "a\u0000b"}"#).is_some());
        assert!(in_json(br#"{"owners": [{"email": "x\u001fy"}]}"#).is_some());
        assert!(in_json(br#"{"rationale": "line one\nline two\tand a tab"}"#).is_none());
        assert!(
            in_json(br#"{"name": "a\\u0000b"}"#).is_none(),
            "an escaped backslash"
        );
        assert!(in_json(b"not json").is_none());
    }
}
