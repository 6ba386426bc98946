//! The funding history (`/history`): every allocation, adjustment, withdrawal, envelope
//! change and spend entry in the order recorded, filtered, a page at a time, and the
//! same rows as CSV.

use actix_web::{HttpResponse, get, web};
use beacon_core::{FinancialYear, HistoryKind};
use beacon_db::history::{HistoryRow, Position};
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{self, FieldError};
use super::layout;
use super::page::{self, PageError, url_encode};
use super::session::Visitor;
use super::words::day;
use crate::app::AppError;
use crate::app::history::{self, HistoryQuery};
use crate::rest::history::{decode_position, encode_position};
use crate::rest::state::AppState;

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    programme: String,
    #[serde(default)]
    stream: String,
    #[serde(default)]
    financial_year: String,
    #[serde(default)]
    kind: String,
    /// Where the page starts: after this entry.
    after: Option<String>,
}

impl Filters {
    /// The filters as the use case takes them, or what to fix.
    fn query(&self) -> Result<HistoryQuery, FieldError> {
        let given = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        let year = match given(&self.financial_year) {
            Some(text) => Some(text.parse::<FinancialYear>().map_err(|_| {
                FieldError::new("financial_year", "Enter the financial year like 2025-26")
            })?),
            None => None,
        };
        Ok(HistoryQuery {
            programme: given(&self.programme),
            stream: given(&self.stream),
            year,
            kind: given(&self.kind).and_then(|k| k.parse::<HistoryKind>().ok()),
            from: None,
            to: None,
        })
    }

    /// The filters as a query string, for the next page and the CSV.
    fn as_query(&self) -> String {
        format!(
            "programme={}&stream={}&financial_year={}&kind={}",
            url_encode(&self.programme),
            url_encode(&self.stream),
            url_encode(&self.financial_year),
            url_encode(&self.kind)
        )
    }
}

#[get("/history")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let filters = filters.into_inner();
    let found = match filters.query() {
        Ok(query) => {
            let after = filters.after.as_deref().and_then(decode_position);
            matching(&state, query, after).await?
        }
        Err(problem) => Err(problem),
    };
    let (rows, problem) = match found {
        Ok(rows) => (rows, None),
        Err(problem) => (Vec::new(), Some(problem)),
    };
    Ok(page::ok(history_page(&visitor, &filters, rows, problem)))
}

/// Every matching entry as CSV, streamed: the API's own CSV of the funding history.
#[get("/history.csv")]
pub async fn csv(
    state: web::Data<AppState>,
    _visitor: Visitor,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let given = |text: &str| Some(text.to_string()).filter(|t| !t.trim().is_empty());
    let query = crate::rest::history::HistoryQuery {
        programme: given(&filters.programme),
        stream: given(&filters.stream),
        financial_year: given(&filters.financial_year),
        kind: given(&filters.kind),
        recorded_from: None,
        recorded_to: None,
        limit: None,
        cursor: None,
        format: None,
    };
    Ok(crate::rest::history::answer(state, query, true).await?)
}

/// A page of the entries a query matches after `after`, or the filter that names
/// nothing.
async fn matching(
    state: &AppState,
    query: HistoryQuery,
    after: Option<Position>,
) -> Result<Result<Vec<HistoryRow>, FieldError>, PageError> {
    Ok(state
        .db(move |conn| match history::filter(conn, &query) {
            Ok(filter) => Ok(Ok(history::page(conn, &filter, after, PAGE + 1)?)),
            Err(AppError::Invalid(invalid)) => {
                let first = invalid.fields().first();
                let field = match first.map(|e| e.field.as_str()) {
                    Some("stream") => "stream",
                    _ => "programme",
                };
                let message = first.map(|e| e.message.clone()).unwrap_or_default();
                Ok(Err(FieldError::new(field, message)))
            }
            Err(other) => Err(other.into()),
        })
        .await?)
}

fn history_page(
    visitor: &Visitor,
    filters: &Filters,
    mut rows: Vec<HistoryRow>,
    problem: Option<FieldError>,
) -> Markup {
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = rows.last().filter(|_| more).map(|last| {
        format!(
            "/history?{}&after={}",
            filters.as_query(),
            url_encode(&encode_position(&last.position()))
        )
    });
    let errors: Vec<FieldError> = problem.into_iter().collect();
    let error_of = |field: &str| forms::error_for(&errors, field);
    let body = html! {
        (forms::summary(&errors))
        h1 class="heading-l" { "Funding history" }
        p class="lead" { "Every allocation, adjustment, withdrawal, envelope change and spend entry, in the order recorded. Nothing here is ever edited: a correction is a new entry with its reason." }
        form method="get" action="/history" class="filters" {
            (forms::text_input("programme", "Programme code", None, error_of("programme"), &filters.programme))
            (forms::text_input("stream", "Stream code", None, error_of("stream"), &filters.stream))
            (forms::text_input("financial_year", "Financial year", None, error_of("financial_year"), &filters.financial_year))
            (forms::select("kind", "Kind", None, &filters.kind,
                HistoryKind::ALL.iter().map(|k| (k.as_str().to_string(), k.as_str().to_string()))))
            button type="submit" class="button button-secondary" { "Apply" }
        }
        p class="body" { a href={ "/history.csv?" (filters.as_query()) } download { "Download every matching entry as CSV" } }
        (table(&rows))
        @if let Some(next) = next {
            p class="body" { a href=(next) { "Next page" } }
        }
    };
    layout::page("Funding history", visitor, body)
}

fn table(rows: &[HistoryRow]) -> Markup {
    html! {
        @if rows.is_empty() {
            p class="body" { "No entry matches these filters." }
        } @else {
            table class="table" {
                caption class="visually-hidden" { "Funding history entries, oldest first" }
                thead {
                    tr {
                        th scope="col" { "Id" }
                        th scope="col" { "Recorded" }
                        th scope="col" { "Takes effect" }
                        th scope="col" { "Kind" }
                        th scope="col" { "Stream" }
                        th scope="col" { "Programme" }
                        th scope="col" { "Year" }
                        th scope="col" class="numeric" { "Amount" }
                        th scope="col" { "Reason" }
                        th scope="col" { "By" }
                    }
                }
                tbody {
                    @for row in rows {
                        tr {
                            td { code { (row.citation()) } }
                            td { (day(row.recorded_at.date())) }
                            td { (day(row.effective_on)) }
                            td { (row.kind) @if let Some(category) = row.category { " (" (category) ")" } }
                            td { (named(row.stream_name.as_deref(), row.stream.as_deref())) }
                            td { (named(row.programme_name.as_deref(), row.programme.as_deref())) }
                            td { (row.year) }
                            td class="numeric" { (row.amount) }
                            td { (row.reason) }
                            td { (row.recorded_by.as_deref().unwrap_or("loaded from its source")) }
                        }
                    }
                }
            }
        }
    }
}

/// A stream or programme by its name, with its code beneath.
fn named(name: Option<&str>, code: Option<&str>) -> Markup {
    html! {
        @if let Some(name) = name { (name) }
        @if let Some(code) = code { br; span class="hint" { (code) } }
    }
}
