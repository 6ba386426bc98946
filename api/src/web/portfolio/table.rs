//! The portfolio page's table: each programme's rating and how it moved, its last
//! report, and this year's money.

use beacon_core::{Pence, Rating, alert};
use chrono::NaiveDateTime;
use maud::{Markup, html};

use super::super::words::{day, rating_tag, rating_words};
use super::filters::{Filters, Sort};
use crate::app::portfolio::PortfolioLine;

/// When a line is overdue a status report: silent (since its last report, or its
/// registration) for longer than the reporting cadence at the moment shown.
#[derive(Clone, Copy)]
pub(super) struct Reporting {
    pub(super) at: NaiveDateTime,
    pub(super) cadence_days: i64,
}

impl Reporting {
    pub(super) fn overdue(self, line: &PortfolioLine) -> bool {
        let since = line.last_reported_at.unwrap_or(line.registered_at);
        alert::report_overdue(line.stage, since, self.at, self.cadence_days).is_some()
    }
}

/// A column heading that orders the table by itself, saying so to a screen reader.
fn heading(text: &str, sort: Sort, query: &Filters, current: Sort, numeric: bool) -> Markup {
    let order = (sort == current).then_some(
        if matches!(
            sort,
            Sort::Code | Sort::Name | Sort::Since | Sort::Rating | Sort::Reported
        ) {
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

pub(super) fn table(
    lines: &[PortfolioLine],
    query: &Filters,
    current: Sort,
    reporting: Reporting,
) -> Markup {
    html! {
        @if lines.is_empty() {
            p class="body" { "No programme matches these filters." }
        } @else {
            table class="table" {
                caption class="visually-hidden" { "Programmes with their rating, last report and this year's money" }
                thead {
                    tr {
                        (heading("Programme", Sort::Name, query, current, false))
                        (heading("Rating", Sort::Rating, query, current, false))
                        (heading("Since", Sort::Since, query, current, false))
                        (heading("Last report", Sort::Reported, query, current, false))
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
                            td { (rating_tag(line.rating)) (change(line)) }
                            td { @if let Some(since) = line.rating_since { (day(since.date())) } }
                            td { (last_report(line, reporting)) }
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

/// How the rating moved from the one before: better or worse, and from what.
fn change(line: &PortfolioLine) -> Markup {
    let (Some(now), Some(before)) = (line.rating, line.previous_rating) else {
        return html! {};
    };
    let rank = |r: Rating| Rating::ALL.iter().position(|x| *x == r);
    let word = if rank(now) < rank(before) {
        "Worse"
    } else {
        "Better"
    };
    html! {
        br; span class="hint" { (word) ", was " (rating_words(before)) }
    }
}

/// The day of the last report, and whether the programme is overdue another.
fn last_report(line: &PortfolioLine, reporting: Reporting) -> Markup {
    html! {
        @match line.last_reported_at {
            Some(at) => (day(at.date())),
            None => "Never",
        }
        @if reporting.overdue(line) {
            br; strong class="tag tag-overdue" { "Overdue" }
        }
    }
}

/// What is allocated and not yet spent.
fn headroom(line: &PortfolioLine) -> Pence {
    let spent = line.spent_run.get().saturating_add(line.spent_change.get());
    Pence::new(line.allocated.get().saturating_sub(spent))
}
