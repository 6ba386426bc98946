//! Alerts (`/alerts`), for admins and auditors: each email with its delivery state,
//! and, for admins, a retry for one that failed.

use actix_web::{HttpResponse, get, post, web};
use beacon_core::{Action, AlertStatus};
use beacon_db::records::Alert;
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{self, PageError};
use super::session::{self, Visitor};
use super::{forms, layout};
use crate::app::alerts::{self, AlertQuery};
use crate::rest::problem::ApiError;
use crate::rest::state::AppState;

const PAGE: i64 = 100;

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    status: String,
}

#[get("/alerts")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    if visitor.caller.may(Action::ReadAlerts).is_err() {
        return Err(PageError::Forbidden(
            "Alerts are for the roles admin and auditor.".into(),
        ));
    }
    let query = AlertQuery {
        status: filters.status.parse::<AlertStatus>().ok(),
        programme: None,
        kind: None,
    };
    let who = visitor.caller.clone();
    let found = state
        .db(move |conn| Ok(alerts::list(conn, &who, &query, None, PAGE)?))
        .await?;
    let flash = session::take_flash(&visitor.session);
    let may_retry = visitor.caller.may(Action::RetryAlerts).is_ok();
    let body = html! {
        (layout::banner(flash.as_deref()))
        h1 class="heading-l" { "Alerts" }
        p class="lead" { "The emails Beacon sends when a programme turns Red, leaves Red, loses funding or is overdue a report: newest first, with how each was delivered." }
        form method="get" action="/alerts" class="filters" {
            (forms::select("status", "Delivery", None, &filters.status,
                AlertStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.as_str().to_string()))))
            button type="submit" class="button button-secondary" { "Apply" }
        }
        (table(&found, may_retry, &visitor.csrf))
    };
    Ok(page::ok(layout::page("Alerts", &visitor, body)))
}

fn table(found: &[Alert], may_retry: bool, csrf: &str) -> Markup {
    html! {
        @if found.is_empty() {
            p class="body" { "No alert matches." }
        } @else {
            table class="table" {
                caption class="visually-hidden" { "Alerts, newest first" }
                thead {
                    tr {
                        th scope="col" { "Written (UTC)" }
                        th scope="col" { "About" }
                        th scope="col" { "To" }
                        th scope="col" { "Delivery" }
                        th scope="col" { "Attempts" }
                        th scope="col" { "Last error" }
                    }
                }
                tbody {
                    @for alert in found {
                        tr {
                            td { (alert.created_at.format("%Y-%m-%d %H:%M")) }
                            td { (alert.kind()) ": " (alert.details.programme().programme_code) }
                            td { (alert.recipient) }
                            td {
                                (alert.status)
                                @if may_retry && alert.status == AlertStatus::Failed {
                                    form method="post" action={ "/alerts/" (alert.id) "/retry" } class="inline-form" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        " "
                                        button type="submit" class="link-button link-button-dark" {
                                            "Retry" span class="visually-hidden" { " the alert to " (alert.recipient) }
                                        }
                                    }
                                }
                            }
                            td { (alert.attempts) }
                            td { (alert.last_error.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
}

/// Sends a failed alert again (admins; audited).
#[post("/alerts/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<i64>,
    form: web::Form<RetryForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    let (who, id) = (visitor.caller.clone(), id.into_inner());
    let retried = state
        .db_write(move |conn| Ok(alerts::retry(conn, &who, id)?))
        .await
        .map_err(|error| match error {
            ApiError::Forbidden(_) => {
                PageError::Forbidden("Only an admin may retry an alert.".into())
            }
            other => other.into(),
        })?;
    session::flash(
        &visitor.session,
        &format!("The alert to {} will be sent again.", retried.recipient),
    );
    Ok(page::see_other("/alerts"))
}
