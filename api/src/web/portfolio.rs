//! The portfolio page (`/`): every programme with its rating and this year's money,
//! counts by rating, filters, a past date, and the same rows as CSV.

use actix_web::{HttpResponse, get, web};
use beacon_core::{FinancialYear, Pence, Rating, Stage};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout;
use super::page::{self, PageError, url_encode};
use super::session::Visitor;
use super::words::{day, rating_tag};
use crate::app::portfolio::{Portfolio, PortfolioLine};
use crate::app::{AsOf, portfolio, register};
use crate::rest::params;
use crate::rest::state::AppState;

#[derive(Deserialize, Default)]
pub struct Filters {
    rating: Option<String>,
    stage: Option<String>,
    /// "on" when the box for the visitor's own programmes is ticked.
    mine: Option<String>,
    as_of: Option<String>,
    financial_year: Option<String>,
    sponsor: Option<String>,
    /// code (default), name, rating, since, allocated or spent.
    sort: Option<String>,
}

/// The orders the table can be read in; each column's heading links to its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Code,
    Name,
    Rating,
    Since,
    Allocated,
    Spent,
}

impl Sort {
    const ALL: [(Sort, &'static str); 6] = [
        (Sort::Code, "code"),
        (Sort::Name, "name"),
        (Sort::Rating, "rating"),
        (Sort::Since, "since"),
        (Sort::Allocated, "allocated"),
        (Sort::Spent, "spent"),
    ];

    fn parse(word: &str) -> Sort {
        Sort::ALL
            .iter()
            .find(|(_, w)| *w == word)
            .map_or(Sort::Code, |(sort, _)| *sort)
    }

    fn word(self) -> &'static str {
        Sort::ALL
            .iter()
            .find(|(sort, _)| *sort == self)
            .map_or("code", |(_, w)| w)
    }

    /// Orders the lines: worst rating, longest-held rating and most money first.
    fn apply(self, lines: &mut [PortfolioLine]) {
        let rank = |r: Option<Rating>| {
            r.map_or(usize::MAX, |r| {
                Rating::ALL
                    .iter()
                    .position(|x| *x == r)
                    .unwrap_or(usize::MAX)
            })
        };
        let spent = |l: &PortfolioLine| l.spent_run.get().saturating_add(l.spent_change.get());
        match self {
            Sort::Code => lines.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str())),
            Sort::Name => lines.sort_by_key(|l| l.name.to_lowercase()),
            Sort::Rating => lines.sort_by_key(|l| rank(l.rating)),
            Sort::Since => {
                lines.sort_by_key(|l| l.rating_since.map_or(i64::MAX, |s| s.and_utc().timestamp()))
            }
            Sort::Allocated => lines.sort_by_key(|l| std::cmp::Reverse(l.allocated.get())),
            Sort::Spent => lines.sort_by_key(|l| std::cmp::Reverse(spent(l))),
        }
    }
}

/// The filters as asked, checked; a value that does not parse is ignored, as a
/// select box can only send the values it offers.
struct Asked {
    rating: Option<Rating>,
    stage: Option<Stage>,
    mine: bool,
    as_of: AsOf,
    year: Option<FinancialYear>,
    sponsor: Option<String>,
    sort: Sort,
}

impl Filters {
    fn asked(&self) -> Result<Asked, PageError> {
        let as_of = match self.as_of.as_deref().filter(|t| !t.is_empty()) {
            Some(text) => params::as_of(Some(text))?.unwrap_or_else(AsOf::today),
            None => AsOf::today(),
        };
        Ok(Asked {
            rating: self.rating.as_deref().and_then(|r| r.parse().ok()),
            stage: self.stage.as_deref().and_then(|s| s.parse().ok()),
            mine: self.mine.as_deref() == Some("on"),
            as_of,
            year: self.financial_year.as_deref().and_then(|y| y.parse().ok()),
            sponsor: self.sponsor.clone().filter(|s| !s.trim().is_empty()),
            sort: Sort::parse(self.sort.as_deref().unwrap_or("code")),
        })
    }

    /// These filters as a query string, in another order.
    fn sorted_by(&self, sort: Sort) -> String {
        let pairs = [
            ("rating", &self.rating),
            ("stage", &self.stage),
            ("mine", &self.mine),
            ("as_of", &self.as_of),
            ("financial_year", &self.financial_year),
            ("sponsor", &self.sponsor),
        ];
        let mut query: Vec<String> = pairs
            .iter()
            .filter_map(|(name, value)| {
                value
                    .as_deref()
                    .map(|v| format!("{name}={}", url_encode(v)))
            })
            .collect();
        query.push(format!("sort={}", sort.word()));
        format!("/?{}", query.join("&"))
    }
}

/// The portfolio as asked, narrowed and ordered; the latest year with any money (for a
/// year that has none); and every sponsor, for the filter.
struct Loaded {
    portfolio: Portfolio,
    latest: Option<FinancialYear>,
    sponsors: Vec<String>,
}

async fn load(state: &AppState, visitor: &Visitor, asked: &Asked) -> Result<Loaded, PageError> {
    let (as_of, year, mine) = (asked.as_of, asked.year, asked.mine);
    let who = visitor.caller.clone();
    let cache = state.owners.clone();
    let (mut portfolio, owned, latest) = state
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
            Ok((portfolio, owned, latest))
        })
        .await?;
    let mut sponsors: Vec<String> = portfolio.lines.iter().map(|l| l.sponsor.clone()).collect();
    sponsors.sort();
    sponsors.dedup();
    portfolio.lines.retain(|line| {
        asked.rating.is_none_or(|r| line.rating == Some(r))
            && asked
                .sponsor
                .as_ref()
                .is_none_or(|s| line.sponsor.eq_ignore_ascii_case(s.trim()))
            && asked.stage.is_none_or(|s| line.stage == s)
            && owned
                .as_ref()
                .is_none_or(|codes| codes.iter().any(|c| c == line.code.as_str()))
    });
    asked.sort.apply(&mut portfolio.lines);
    Ok(Loaded {
        portfolio,
        latest,
        sponsors,
    })
}

#[get("/")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<Filters>,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, PageError> {
    let asked = query.asked()?;
    let Loaded {
        portfolio,
        latest,
        sponsors,
    } = load(&state, &visitor, &asked).await?;
    let elsewhere = latest.filter(|year| *year != portfolio.year);
    let csv_link = match request.query_string() {
        "" => "/portfolio.csv".to_string(),
        query => format!("/portfolio.csv?{query}"),
    };
    let body = html! {
        h1 class="heading-l" { "Portfolio" }
        p class="lead" {
            "Money for " (portfolio.year) "; ratings as they stood at the end of "
            (day(portfolio.as_of)) "."
        }
        @if let Some(year) = elsewhere {
            p class="body" {
                "No money is recorded for " (portfolio.year) ". "
                a href={ "/?financial_year=" (year) } { "Show " (year) ", the latest year with money" }
            }
        }
        (counts(&portfolio))
        (filter_form(&query, &asked, &sponsors))
        (table(&portfolio.lines, &query, asked.sort))
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
    visitor: Visitor,
    query: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    let portfolio = load(&state, &visitor, &query.asked()?).await?.portfolio;
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

fn filter_form(query: &Filters, asked: &Asked, sponsors: &[String]) -> Markup {
    let chosen = |value: &Option<String>, option: &str| value.as_deref() == Some(option);
    html! {
        form method="get" action="/" class="filters" {
            @if let Some(year) = asked.year {
                input type="hidden" name="financial_year" value=(year);
            }
            input type="hidden" name="sort" value=(asked.sort.word());
            div class="form-group" {
                label class="label" for="rating" { "Rating" }
                select class="select" id="rating" name="rating" {
                    option value="" { "Any rating" }
                    @for &rating in Rating::ALL {
                        option value=(rating.as_str()) selected[chosen(&query.rating, rating.as_str())] {
                            (super::words::rating_words(rating))
                        }
                    }
                }
            }
            div class="form-group" {
                label class="label" for="stage" { "Stage" }
                select class="select" id="stage" name="stage" {
                    option value="" { "Any stage" }
                    @for &stage in Stage::ALL {
                        option value=(stage.as_str()) selected[chosen(&query.stage, stage.as_str())] {
                            (stage.as_str())
                        }
                    }
                }
            }
            div class="form-group" {
                label class="label" for="sponsor" { "Sponsor" }
                select class="select" id="sponsor" name="sponsor" {
                    option value="" { "Any sponsor" }
                    @for sponsor in sponsors {
                        option value=(sponsor) selected[chosen(&query.sponsor, sponsor)] { (sponsor) }
                    }
                }
            }
            div class="form-group" {
                label class="label" for="as_of" { "As it stood on" }
                input class="input input-date" id="as_of" name="as_of" type="date"
                    value=(asked.as_of.day.format("%Y-%m-%d"));
            }
            div class="form-group checkbox" {
                input id="mine" name="mine" type="checkbox" checked[asked.mine];
                label class="label" for="mine" { "Only my programmes" }
            }
            button type="submit" class="button button-secondary" { "Apply" }
        }
    }
}

/// A column heading that orders the table by itself, saying so to a screen reader.
fn heading(text: &str, sort: Sort, query: &Filters, current: Sort, numeric: bool) -> Markup {
    let order = (sort == current).then_some(
        if matches!(sort, Sort::Code | Sort::Name | Sort::Since | Sort::Rating) {
            "ascending"
        } else {
            "descending"
        },
    );
    html! {
        th scope="col" class=[numeric.then_some("numeric")] aria-sort=[order] {
            a href=(query.sorted_by(sort)) { (text) }
        }
    }
}

fn table(lines: &[PortfolioLine], query: &Filters, current: Sort) -> Markup {
    html! {
        @if lines.is_empty() {
            p class="body" { "No programme matches these filters." }
        } @else {
            table class="table" {
                caption class="visually-hidden" { "Programmes with their rating and this year's money" }
                thead {
                    tr {
                        (heading("Programme", Sort::Name, query, current, false))
                        (heading("Rating", Sort::Rating, query, current, false))
                        (heading("Since", Sort::Since, query, current, false))
                        (heading("Allocated", Sort::Allocated, query, current, true))
                        (heading("Spent (run)", Sort::Spent, query, current, true))
                        th scope="col" class="numeric" { "Spent (change)" }
                        th scope="col" class="numeric" { "Headroom" }
                    }
                }
                tbody {
                    @for line in lines {
                        tr {
                            td {
                                a href={ "/programmes/" (line.code) } { (line.name) }
                                br; span class="hint" { (line.code) }
                            }
                            td { (rating_tag(line.rating)) }
                            td { @if let Some(since) = line.rating_since { (day(since.date())) } }
                            td class="numeric" { (line.allocated) }
                            td class="numeric" { (line.spent_run) }
                            td class="numeric" { (line.spent_change) }
                            td class="numeric" { (headroom(line)) }
                        }
                    }
                }
            }
        }
    }
}

/// What is allocated and not yet spent.
fn headroom(line: &PortfolioLine) -> Pence {
    let spent = line.spent_run.get().saturating_add(line.spent_change.get());
    Pence::new(line.allocated.get().saturating_sub(spent))
}
