//! The portfolio page (`/`): every programme with its rating and this year's money,
//! counts by rating, filters, a past date, and the same rows as CSV.

mod filters;
mod table;

use actix_web::{HttpResponse, get, web};
use beacon_core::{FinancialYear, Rating};
use chrono::Utc;
use maud::{Markup, html};

use super::PageSettings;
use super::layout;
use super::page::{self, PageError};
use super::session::Visitor;
use super::words::{day, rating_tag};
use crate::app::portfolio::Portfolio;
use crate::app::{portfolio, register};
use crate::rest::state::AppState;
use filters::{Asked, Choices, Filters, filter_form};
use table::{Reporting, table};

/// The portfolio as asked, narrowed and ordered; the latest year with any money (for a
/// year that has none); what each filter offers; and when reports fall overdue.
struct Loaded {
    portfolio: Portfolio,
    latest: Option<FinancialYear>,
    choices: Choices,
    reporting: Reporting,
}

async fn load(
    state: &AppState,
    visitor: &Visitor,
    asked: &Asked,
    settings: PageSettings,
) -> Result<Loaded, PageError> {
    let (as_of, year, mine) = (asked.as_of, asked.year, asked.mine);
    let who = visitor.caller.clone();
    let cache = state.owners.clone();
    let (mut portfolio, owned, latest, forces) = state
        .db(move |conn| {
            let owned: Option<Vec<String>> = if mine {
                let details = register::owned_programmes(conn, &cache, &who)?;
                Some(
                    details
                        .into_iter()
                        .map(|d| d.programme.code.to_string())
                        .collect(),
                )
            } else {
                None
            };
            let portfolio = portfolio::portfolio(conn, as_of, year)?;
            // Asked only when the year has no money at all, to say where the money is.
            let totals = &portfolio.totals;
            let empty = totals.allocated.is_zero()
                && totals.spent_run.is_zero()
                && totals.spent_change.is_zero();
            let latest = if empty {
                portfolio::latest_year_with_money(conn)?
            } else {
                None
            };
            Ok((portfolio, owned, latest, crate::app::forces::list(conn)?))
        })
        .await?;
    let choices = Choices::of(&portfolio.lines, forces);
    let reporting = Reporting {
        at: as_of.end.min(Utc::now().naive_utc()),
        cadence_days: settings.cadence_days,
    };
    portfolio
        .lines
        .retain(|line| asked.admits(line, reporting, owned.as_deref()));
    asked.sort.apply(&mut portfolio.lines);
    Ok(Loaded {
        portfolio,
        latest,
        choices,
        reporting,
    })
}

#[get("/")]
pub async fn show(
    state: web::Data<AppState>,
    settings: web::Data<PageSettings>,
    visitor: Visitor,
    query: web::Query<Filters>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked = query.asked()?;
    let Loaded {
        portfolio,
        latest,
        choices,
        reporting,
    } = load(&state, &visitor, &asked, **settings).await?;
    let elsewhere = latest.filter(|year| *year != portfolio.year);
    let csv_link = match request.query_string() {
        "" => "/portfolio.csv".to_string(),
        query => format!("/portfolio.csv?{query}"),
    };
    let body = html! {
        h1 class="heading-l" { "Portfolio" }
        p class="lead" {
            "Money for " (portfolio.year) "; ratings as they stood at the end of "
            (day(portfolio.as_of)) ". A programme is overdue when it has had no status report for "
            (reporting.cadence_days) " days."
        }
        @if let Some(year) = elsewhere {
            p class="body" {
                "No money is recorded for " (portfolio.year) ". "
                a href={ "/?financial_year=" (year) } { "Show " (year) ", the latest year with money" }
            }
        }
        (counts(&portfolio))
        (filter_form(&query, &asked, &choices))
        (table(&portfolio.lines, &query, asked.sort, reporting))
        p class="body" {
            a href=(csv_link) download { "Download these rows as CSV" }
        }
    };
    Ok(page::ok(layout::page("Portfolio", &visitor, body)))
}

/// The same rows as CSV, with the columns of the API's portfolio CSV.
#[get("/portfolio.csv")]
pub async fn csv(
    state: web::Data<AppState>,
    settings: web::Data<PageSettings>,
    visitor: Visitor,
    query: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let portfolio = load(&state, &visitor, &query.asked()?, **settings)
        .await?
        .portfolio;
    let view = crate::rest::portfolio::PortfolioView::from(portfolio);
    let (filename, rows) = crate::rest::portfolio::csv_rows(&view);
    Ok(crate::rest::csv_export::table(&filename, &rows)?)
}

fn counts(portfolio: &Portfolio) -> Markup {
    html! {
        ul class="counts" aria-label="Programmes by rating" {
            @for &rating in Rating::ALL {
                li { (rating_tag(Some(rating))) " " strong { (portfolio.counts.of(rating)) } }
            }
            li { (rating_tag(None)) " " strong { (portfolio.counts.unrated) } }
        }
    }
}
