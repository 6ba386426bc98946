//! A programme's page (`/programmes/{code}`): its details and owners, its rating history
//! as a chart and a table with every rationale, its money this year, and its ledger.
//! Alert emails link here.

use actix_web::{HttpResponse, get, web};
use beacon_core::Action;
use beacon_db::records::{Alert, LedgerEntry, StatusReport, YearTotals};
use maud::{Markup, html};

use super::layout;
use super::page::{self, PageError};
use super::session::{self, Visitor};
use super::svg;
use super::words::{alert_words, day, rating_tag};
use crate::app::register::{self, ProgrammeRecord};
use crate::app::{alerts, reports};
use crate::rest::state::AppState;

/// The alerts listed on the page; the alerts page has every one.
const ALERTS: i64 = 20;

#[get("/programmes/{code}")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let code = code.into_inner();
    let (asked, who) = (code.clone(), visitor.caller.clone());
    let (record, may_report, sent) = state
        .db(move |conn| {
            let record = register::record_of(conn, &asked)?;
            let may = reports::may_report(conn, &who, &record.detail.programme)?;
            let sent = alerts::about_programme(conn, &who, &record.detail, ALERTS)?;
            Ok((record, may, sent))
        })
        .await
        .map_err(|error| match PageError::from(error) {
            PageError::Api(crate::rest::problem::ApiError::NotFound(_)) => PageError::NotFound(
                format!("No programme has the code '{code}'. The portfolio lists every programme."),
            ),
            other => other,
        })?;
    let name = record.detail.programme.name.clone();
    let flash = session::take_flash(&visitor.session);
    let body = html! {
        (layout::banner(flash.as_deref()))
        span class="caption" { (record.detail.programme.code) }
        h1 class="heading-l" { (name) }
        div class="button-group" {
            @if may_report {
                a href={ "/programmes/" (code) "/report" } class="button" role="button" draggable="false" {
                    "Report delivery confidence"
                }
            }
            @if visitor.caller.may(Action::ManageFunding).is_ok() {
                a href={ "/funding/spend?programme=" (code) } class="button button-secondary" role="button" draggable="false" {
                    "Record spend"
                }
            }
        }
        (details(&record))
        h2 class="heading-m" { "Rating history" }
        (history(&record.reports))
        h2 class="heading-m" { "Money this financial year" }
        (money(&record))
        h2 class="heading-m" id="money-by-year" { "Money by financial year" }
        (years(&record.years))
        h2 class="heading-m" { "Funding ledger" }
        (ledger(&record.ledger))
        @if let Some(sent) = &sent {
            h2 class="heading-m" id="alerts" { "Alerts" }
            (alert_list(sent, &visitor))
        }
    };
    Ok(page::ok(layout::page(&name, &visitor, body)))
}

fn details(record: &ProgrammeRecord) -> Markup {
    let programme = &record.detail.programme;
    html! {
        p class="body" { (programme.description) }
        dl class="summary-list" {
            div class="summary-row" {
                dt { "Rating" }
                dd {
                    (rating_tag(programme.rating))
                    @if let Some(since) = programme.rating_since { " since " (day(since.date())) }
                }
            }
            div class="summary-row" { dt { "Sponsor" } dd { (programme.sponsor) } }
            div class="summary-row" { dt { "Stage" } dd { (programme.stage) } }
            div class="summary-row" { dt { "Capability area" } dd { (programme.capability_area) } }
            @if let Some(force) = &programme.lead_force {
                div class="summary-row" { dt { "Lead force" } dd { (force) } }
            }
            @if let Some(cost) = programme.whole_life_cost {
                div class="summary-row" { dt { "Whole-life cost" } dd { (cost) } }
            }
            div class="summary-row" {
                dt { "Owners" }
                dd {
                    @if record.detail.owners.is_empty() { "None yet" }
                    @for (i, owner) in record.detail.owners.iter().enumerate() {
                        @if i > 0 { ", " }
                        (owner.email)
                    }
                }
            }
        }
    }
}

fn history(reports: &[StatusReport]) -> Markup {
    if reports.is_empty() {
        return html! { p class="body" { "No status has been reported yet." } };
    }
    html! {
        (svg::rating_timeline(reports, chrono::Utc::now().date_naive()))
        table class="table" {
            caption class="visually-hidden" { "Every status report, newest first" }
            thead {
                tr {
                    th scope="col" { "Reported" }
                    th scope="col" { "Rating" }
                    th scope="col" { "Period end" }
                    th scope="col" { "By" }
                    th scope="col" { "Rationale" }
                }
            }
            tbody {
                @for report in reports {
                    tr {
                        td { (day(report.reported_at.date())) }
                        td { (rating_tag(Some(report.rating))) }
                        td { (day(report.period_end)) }
                        td {
                            @match &report.reported_by_email {
                                Some(email) => (email),
                                None => (report.source),
                            }
                        }
                        td { (report.rationale) }
                    }
                }
            }
        }
    }
}

fn money(record: &ProgrammeRecord) -> Markup {
    let money = &record.detail.money;
    html! {
        dl class="summary-list" {
            div class="summary-row" { dt { "Allocated" } dd class="numeric" { (money.allocated) } }
            div class="summary-row" { dt { "Spent on running existing systems" } dd class="numeric" { (money.spent_run) } }
            div class="summary-row" { dt { "Spent on new capability" } dd class="numeric" { (money.spent_change) } }
        }
    }
}

fn years(years: &[YearTotals]) -> Markup {
    if years.is_empty() {
        return html! { p class="body" { "No money has been allocated or spent yet." } };
    }
    html! {
        (svg::money_by_year(years))
        table class="table" {
            caption class="visually-hidden" { "Allocated and spent in each financial year" }
            thead {
                tr {
                    th scope="col" { "Year" }
                    th scope="col" class="numeric" { "Allocated" }
                    th scope="col" class="numeric" { "Spent (run)" }
                    th scope="col" class="numeric" { "Spent (change)" }
                }
            }
            tbody {
                @for totals in years {
                    tr {
                        td { (totals.year) }
                        td class="numeric" { (totals.allocated) }
                        td class="numeric" { (totals.spent_run) }
                        td class="numeric" { (totals.spent_change) }
                    }
                }
            }
        }
    }
}

fn ledger(entries: &[LedgerEntry]) -> Markup {
    html! {
        @if entries.is_empty() {
            p class="body" { "No allocations yet." }
        } @else {
            table class="table" {
                caption class="visually-hidden" { "Allocations, adjustments and withdrawals, in the order recorded" }
                thead {
                    tr {
                        th scope="col" { "Year" }
                        th scope="col" { "Kind" }
                        th scope="col" class="numeric" { "Amount" }
                        th scope="col" { "Reason" }
                        th scope="col" { "Recorded" }
                    }
                }
                tbody {
                    @for entry in entries {
                        tr {
                            td { (entry.year) }
                            td { (entry.kind) }
                            td class="numeric" { (entry.amount) }
                            td { (entry.reason) }
                            td { (day(entry.recorded_at.date())) }
                        }
                    }
                }
            }
        }
    }
}

/// The emails written about the programme, newest first, and how each was delivered.
fn alert_list(sent: &[Alert], visitor: &Visitor) -> Markup {
    html! {
        @if sent.is_empty() {
            p class="body" { "No alert has been written about this programme." }
        } @else {
            table class="table" {
                caption class="visually-hidden" { "Alerts about this programme, newest first" }
                thead {
                    tr {
                        th scope="col" { "Written (UTC)" }
                        th scope="col" { "About" }
                        th scope="col" { "To" }
                        th scope="col" { "Delivery" }
                    }
                }
                tbody {
                    @for alert in sent {
                        tr {
                            td { (alert.created_at.format("%Y-%m-%d %H:%M")) }
                            td { (alert_words(alert.kind())) }
                            td { (alert.recipient) }
                            td {
                                (alert.status)
                                @if let Some(at) = alert.sent_at { " " (at.format("%Y-%m-%d %H:%M")) }
                            }
                        }
                    }
                }
            }
            @if sent.len() as i64 == ALERTS && visitor.caller.may(Action::ReadAlerts).is_ok() {
                p class="body" { a href="/alerts" { "Every alert" } }
            }
        }
    }
}
