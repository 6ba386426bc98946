//! The answers many operations share, added to the OpenAPI document in one place so
//! that no operation leaves one out: a generated client then knows every status the
//! server can send, and each comes with a description and the problem+json schema.

use actix_web::http::StatusCode;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

use super::BODY_LIMIT;

/// Adds the shared answers to every operation, and a description to any response
/// declared without one (which OpenAPI requires).
pub(crate) fn complete(document: &mut OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        for operation in operations(item) {
            add_shared_answers(path, operation);
            describe_bare_responses(operation);
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

fn add_shared_answers(path: &str, operation: &mut Operation) {
    let has_body = operation.request_body.is_some();
    let has_parameters = operation
        .parameters
        .as_ref()
        .is_some_and(|parameters| !parameters.is_empty());
    if operation.security.is_some() {
        add(
            operation,
            401,
            "Sign in first: the bearer token is missing, expired, not valid, or was issued \
             before the account's password, role or standing changed",
        );
    }
    if has_body {
        add(operation, 400, "The body is not valid JSON");
        add(
            operation,
            413,
            &format!(
                "The body is larger than the {} KiB Beacon accepts",
                BODY_LIMIT / 1024
            ),
        );
        add(operation, 415, "The body was not sent as application/json");
    }
    if has_body || has_parameters {
        add(
            operation,
            422,
            "A value is not valid (for example a control character, a date outside the \
             dates Beacon records, or an amount over the limit); `errors` names each field \
             and says what to write",
        );
    }
    if path != "/healthz" {
        add(
            operation,
            503,
            "The database is not answering, or too many sign-ins are waiting; try again shortly",
        );
    }
}

/// Declares `status` with `description` and the problem+json body, unless the
/// operation already declares it (with its own, more particular, description).
fn add(operation: &mut Operation, status: u16, description: &str) {
    let problem = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build();
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/problem+json", problem)
                    .build(),
            )
        });
}

fn describe_bare_responses(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        if let RefOr::T(response) = response {
            if response.description.is_empty() {
                response.description = status
                    .parse::<u16>()
                    .ok()
                    .and_then(|code| StatusCode::from_u16(code).ok())
                    .and_then(|code| code.canonical_reason())
                    .unwrap_or("The answer")
                    .to_string();
            }
        }
    }
}
