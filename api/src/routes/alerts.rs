//! Alerts for administrators and auditors: what was sent to whom, what is waiting, what
//! failed and why; and, for an administrator, sending a failed alert again.

use std::collections::HashMap;

use actix_web::{get, post, web};
use beacon_core::Role;
use beacon_db::models::AlertRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::pagination;
use crate::problem::ApiError;
use crate::routes::utc;
use crate::state::AppState;

const READERS: &[Role] = &[Role::Auditor, Role::Admin];

#[derive(Serialize, ToSchema)]
pub struct AlertView {
    #[schema(example = 17)]
    pub id: i64,
    /// turned_red, left_red, report_overdue or funding_reduced.
    #[schema(example = "turned_red")]
    pub kind: String,
    #[schema(example = "pnd-transformation")]
    pub programme: String,
    #[schema(example = "sro@met.police.uk")]
    pub recipient: String,
    /// pending, sent or failed.
    #[schema(example = "failed")]
    pub status: String,
    /// Delivery attempts so far.
    #[schema(example = 8)]
    pub attempts: i32,
    /// When a pending alert is next tried.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    #[schema(
        example = "the SMTP server did not take the message: permanent error (550): Mailbox unavailable"
    )]
    pub last_error: Option<String>,
    /// The Message-ID it was sent with.
    #[schema(example = "<alert-17-9f3c2a0b1d4e5f60@beacon.police.uk>")]
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// What the message says, as recorded when the event happened.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

fn view(row: AlertRow, code: String) -> AlertView {
    // The details are JSON Beacon wrote; one that does not parse is still shown.
    let details = serde_json::from_str(&row.details)
        .unwrap_or_else(|_| serde_json::Value::String(row.details.clone()));
    AlertView {
        id: row.id,
        kind: row.kind,
        programme: code,
        recipient: row.recipient,
        next_attempt_at: (row.status == beacon_db::alerts::PENDING)
            .then(|| utc(row.next_attempt_at)),
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        message_id: row.message_id,
        created_at: utc(row.created_at),
        sent_at: row.sent_at.map(utc),
        details,
    }
}

#[derive(Serialize, ToSchema)]
pub struct AlertList {
    pub items: Vec<AlertView>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// pending, sent or failed.
    #[param(example = "failed")]
    pub status: Option<String>,
    /// A programme's code.
    #[param(example = "pnd-transformation")]
    pub programme: Option<String>,
    /// turned_red, left_red, report_overdue or funding_reduced.
    pub kind: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Alerts, newest first, by status, programme and kind.
#[utoipa::path(tag = "alerts", security(("bearer" = [])), params(AlertQuery), responses(
    (status = 200, body = AlertList),
    (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/alerts")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AlertQuery>,
) -> Result<web::Json<AlertList>, ApiError> {
    user.require(READERS, "reading alerts")?;
    let query = query.into_inner();
    let text = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let status = text(&query.status);
    if let Some(status) = &status {
        if !beacon_db::alerts::STATUSES.contains(&status.as_str()) {
            return Err(ApiError::field(
                "status",
                format!("'{status}' is not a status; use pending, sent or failed"),
            ));
        }
    }
    let kind = text(&query.kind);
    if let Some(kind) = &kind {
        if beacon_db::alerts::Kind::parse(kind).is_none() {
            return Err(ApiError::field(
                "kind",
                format!(
                    "'{kind}' is not a kind of alert; use turned_red, left_red, report_overdue or funding_reduced"
                ),
            ));
        }
    }
    let programme = text(&query.programme);
    let limit = pagination::limit(query.limit)?;
    let fingerprint = format!("alerts?status={status:?}&programme={programme:?}&kind={kind:?}");
    let before = pagination::decode_id(&fingerprint, query.cursor.as_deref())?;
    let (rows, codes) = state
        .db(move |conn| {
            let programme_id = match &programme {
                Some(code) => Some(
                    beacon_db::programmes::find_by_code(conn, code)?
                        .ok_or_else(|| {
                            ApiError::field(
                                "programme",
                                format!("no programme has the code '{code}'"),
                            )
                        })?
                        .id,
                ),
                None => None,
            };
            let filter = beacon_db::alerts::Filter {
                status,
                programme_id,
                kind,
            };
            let rows = beacon_db::alerts::page(conn, &filter, before, limit + 1)?;
            let mut ids: Vec<i64> = rows.iter().map(|r| r.programme_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let codes: HashMap<i64, String> = beacon_db::alerts::programme_codes(conn, &ids)?
                .into_iter()
                .collect();
            Ok((rows, codes))
        })
        .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, &fingerprint, |r| r.id.to_string());
    Ok(web::Json(AlertList {
        items: rows
            .into_iter()
            .map(|row| {
                let code = codes.get(&row.programme_id).cloned().unwrap_or_default();
                view(row, code)
            })
            .collect(),
        next_cursor,
    }))
}

/// Send a failed alert again, from its first attempt: for after the cause (a refused
/// address, a mail server down too long) is fixed. Audited.
#[utoipa::path(tag = "alerts", security(("bearer" = [])), params(("id" = i64, Path, example = 17)), responses(
    (status = 200, description = "The alert, pending again", body = AlertView),
    (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::problem::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The alert has not failed", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/alerts/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
) -> Result<web::Json<AlertView>, ApiError> {
    user.require(&[Role::Admin], "retrying alerts")?;
    let id = id.into_inner();
    let actor = user.actor();
    let (row, code) = state
        .db(move |conn| {
            let row = beacon_db::alerts::retry(conn, &actor, id)?;
            let code = beacon_db::programmes::get_by_id(conn, row.programme_id)?.code;
            Ok((row, code))
        })
        .await?;
    Ok(web::Json(view(row, code)))
}
