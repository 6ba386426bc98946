//! The answers many operations share, added to the OpenAPI document in one place so
//! that no operation leaves one out: a generated client then knows every status the
//! server can send, and each comes with a description and the problem+json schema.

use actix_web::http::StatusCode;
use beacon_core::audit_trail::{AuditAction, AuditEntity};
use beacon_core::{
    AlertKind, AlertStatus, HistoryKind, LedgerKind, Pence, Rating, Role, SpendCategory, Stage,
};
use serde_json::{Value, json};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

use super::BODY_LIMIT;
use super::pagination::MAX_LIMIT;
use crate::app::summary::Dimension;

/// Adds the shared answers to every operation, a description to any response declared
/// without one (which OpenAPI requires), and the server's own constraints to fields and
/// parameters.
pub(crate) fn complete(document: &mut OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        for operation in operations(item) {
            add_shared_answers(path, operation);
            describe_bare_responses(operation);
        }
    }
    if let Ok(mut value) = serde_json::to_value(&*document) {
        constrain(&mut value);
        if let Ok(constrained) = serde_json::from_value(value) {
            *document = constrained;
        }
    }
}

/// What the server accepts for a field or parameter of this name (in this schema or
/// operation), from the same words and limits the server checks against, so that a
/// client generated from the document refuses what the server would.
fn constraint(owner: &str, name: &str) -> Option<Value> {
    let words = |words: &[&str]| json!({ "enum": words });
    let limit = Pence::LIMIT.get();
    Some(match (owner, name) {
        (_, "rating") => words(Rating::WORDS),
        (_, "stage") => words(Stage::WORDS),
        (_, "role") => words(Role::WORDS),
        (_, "category") => words(SpendCategory::WORDS),
        ("AlertView" | "list_alerts", "kind") => words(AlertKind::WORDS),
        ("AlertView" | "list_alerts", "status") => words(AlertStatus::WORDS),
        ("HistoryEntryView" | "list_funding_history" | "export_funding_history", "kind") => {
            words(HistoryKind::WORDS)
        }
        ("NewAllocation" | "LedgerEntryView", "kind") => words(LedgerKind::WORDS),
        ("list_audit_entries", "entity") => words(AuditEntity::WORDS),
        ("list_audit_entries", "action") => words(AuditAction::WORDS),
        (_, "group_by") => {
            let one = format!("({})", Dimension::WORDS.join("|"));
            json!({ "pattern": format!("^{one}(,{one}){{0,3}}$") })
        }
        (_, "format") => words(&["csv", "json"]),
        (_, "financial_year") => json!({ "pattern": "^[0-9]{4}[-/][0-9]{2}$" }),
        (_, "capability_area" | "capability" | "lead_force" | "code" | "programme" | "stream") => {
            json!({ "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "minLength": 2, "maxLength": 64 })
        }
        (_, "limit") => json!({ "minimum": 1, "maximum": MAX_LIMIT }),
        ("NewUser" | "UserPatch", "password") => json!({ "minLength": 12, "maxLength": 256 }),
        ("EnvelopeInput", "amount_pence") => json!({ "minimum": 0, "maximum": limit }),
        ("WithdrawalInput", "withdraw_pence") => json!({ "minimum": 1, "maximum": limit }),
        ("NewAllocation" | "NewSpendInput", "amount_pence") => {
            json!({ "minimum": -limit, "maximum": limit })
        }
        (
            _,
            "as_of" | "known_as_of" | "effective_on" | "period_end" | "start_date"
            | "planned_end_date",
        ) => {
            json!({ "format": "date" })
        }
        _ => return None,
    })
}

fn constrain(document: &mut Value) {
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (schema_name, schema) in schemas.iter_mut() {
            let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut)
            else {
                continue;
            };
            for (name, property) in properties.iter_mut() {
                apply(property, constraint(schema_name, name));
            }
        }
    }
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for parameter in parameters {
            let name = parameter["name"].as_str().unwrap_or_default().to_string();
            if let Some(schema) = parameter.get_mut("schema") {
                apply(schema, constraint(&id, &name));
            }
        }
    }
}

/// Merges `constraint` into a property's schema; a nullable one keeps null allowed.
fn apply(schema: &mut Value, constraint: Option<Value>) {
    let (Some(schema), Some(Value::Object(constraint))) = (schema.as_object_mut(), constraint)
    else {
        return;
    };
    let nullable = schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "null"));
    for (key, mut value) in constraint {
        if key == "enum" && nullable {
            if let Some(words) = value.as_array_mut() {
                words.push(Value::Null);
            }
        }
        schema.insert(key, value);
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
             before the account's password, role or standing changed. The problem's detail \
             and the WWW-Authenticate header (error=\"invalid_token\", error_description) \
             say which",
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
