//! Alerts for administrators and auditors: what was sent to whom, what is waiting, what
//! failed and why; and, for an administrator, sending a failed alert again.

use actix_web::{get, post, web};
use beacon_core::{Action, AlertKind, AlertStatus};
use beacon_db::records::Alert;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::pagination;
use super::params::{optional, text, utc};
use super::problem::ApiError;
use super::state::AppState;
use crate::app::Caller;
use crate::app::alerts::{self, AlertQuery as Asked};

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

impl From<Alert> for AlertView {
    fn from(row: Alert) -> Self {
        AlertView {
            id: row.id,
            kind: row.kind().to_string(),
            programme: row.details.programme().programme_code.clone(),
            recipient: row.recipient,
            next_attempt_at: (row.status == AlertStatus::Pending).then(|| utc(row.next_attempt_at)),
            status: row.status.to_string(),
            attempts: i32::try_from(row.attempts).unwrap_or(i32::MAX),
            last_error: row.last_error,
            message_id: row.message_id,
            created_at: utc(row.created_at),
            sent_at: row.sent_at.map(utc),
            details: row.details.to_json(),
        }
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
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Alerts, newest first, by status, programme and kind.
#[utoipa::path(operation_id = "list_alerts", tag = "alerts", security(("bearer" = [])), params(AlertQuery), responses(
    (status = 200, body = AlertList),
    (status = 403, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[get("/alerts")]
pub async fn list(
    state: web::Data<AppState>,
    who: Caller,
    query: web::Query<AlertQuery>,
) -> Result<web::Json<AlertList>, ApiError> {
    who.may(Action::ReadAlerts)?;
    let query = query.into_inner();
    let status = optional::<AlertStatus>("status", text(&query.status).as_deref())?;
    let kind = optional::<AlertKind>("kind", text(&query.kind).as_deref())?;
    let programme = text(&query.programme);
    let limit = pagination::limit(query.limit.as_deref())?;
    let fingerprint = format!("alerts?status={status:?}&programme={programme:?}&kind={kind:?}");
    let before = pagination::decode_id(&fingerprint, query.cursor.as_deref())?;
    let asked = Asked {
        status,
        programme,
        kind,
    };
    let rows = state
        .db(move |conn| Ok(alerts::list(conn, &who, &asked, before, limit + 1)?))
        .await?;
    let (rows, next_cursor) = pagination::finish(rows, limit, &fingerprint, |r| r.id.to_string());
    Ok(web::Json(AlertList {
        items: rows.into_iter().map(AlertView::from).collect(),
        next_cursor,
    }))
}

/// Send a failed alert again, from its first attempt: for after the cause (a refused
/// address, a mail server down too long) is fixed. Audited.
#[utoipa::path(operation_id = "retry_alert", tag = "alerts", security(("bearer" = [])), params(("id" = i64, Path, example = 17)), responses(
    (status = 200, description = "The alert, pending again", body = AlertView),
    (status = 403, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::rest::problem::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The alert has not failed", body = crate::rest::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/alerts/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    who: Caller,
    id: web::Path<i64>,
) -> Result<web::Json<AlertView>, ApiError> {
    let id = id.into_inner();
    let row = state
        .db_write(move |conn| Ok(alerts::retry(conn, &who, id)?))
        .await?;
    Ok(web::Json(row.into()))
}
