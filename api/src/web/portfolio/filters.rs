//! The portfolio page's filters and orders, as asked in the query string, and the form
//! that asks for them.

use beacon_core::{FinancialYear, Force, Rating, Stage};
use maud::{Markup, html};
use serde::Deserialize;

use super::super::page::{PageError, url_encode};
use super::super::words::{rating_words, slug_words};
use super::table::Reporting;
use crate::app::AsOf;
use crate::app::portfolio::PortfolioLine;
use crate::rest::params;

#[derive(Deserialize, Default)]
pub struct Filters {
    rating: Option<String>,
    stage: Option<String>,
    /// "on" when the box for the visitor's own programmes is ticked.
    mine: Option<String>,
    as_of: Option<String>,
    financial_year: Option<String>,
    sponsor: Option<String>,
    capability: Option<String>,
    lead_force: Option<String>,
    /// "on" when only programmes overdue a status report are wanted.
    overdue: Option<String>,
    /// code (default), name, rating, since, reported, allocated or spent.
    sort: Option<String>,
}

/// The orders the table can be read in; each column's heading links to its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sort {
    Code,
    Name,
    Rating,
    Since,
    Reported,
    Allocated,
    Spent,
}

impl Sort {
    const ALL: [(Sort, &'static str); 7] = [
        (Sort::Code, "code"),
        (Sort::Name, "name"),
        (Sort::Rating, "rating"),
        (Sort::Since, "since"),
        (Sort::Reported, "reported"),
        (Sort::Allocated, "allocated"),
        (Sort::Spent, "spent"),
    ];

    fn parse(word: &str) -> Sort {
        Sort::ALL
            .iter()
            .find(|(_, w)| *w == word)
            .map_or(Sort::Code, |(sort, _)| *sort)
    }

    pub(super) fn word(self) -> &'static str {
        Sort::ALL
            .iter()
            .find(|(sort, _)| *sort == self)
            .map_or("code", |(_, w)| w)
    }

    /// Orders the lines: worst rating, longest-held rating, longest silence and most
    /// money first.
    pub(super) fn apply(self, lines: &mut [PortfolioLine]) {
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
            Sort::Since => lines.sort_by_key(|l| l.rating_since.map_or(i64::MAX, timestamp)),
            Sort::Reported => lines.sort_by_key(|l| l.last_reported_at.map_or(i64::MIN, timestamp)),
            Sort::Allocated => lines.sort_by_key(|l| std::cmp::Reverse(l.allocated.get())),
            Sort::Spent => lines.sort_by_key(|l| std::cmp::Reverse(spent(l))),
        }
    }
}

fn timestamp(at: chrono::NaiveDateTime) -> i64 {
    at.and_utc().timestamp()
}

/// The filters as asked, checked; a value that does not parse is ignored, as a
/// select box can only send the values it offers.
pub(super) struct Asked {
    pub(super) rating: Option<Rating>,
    pub(super) stage: Option<Stage>,
    pub(super) mine: bool,
    pub(super) as_of: AsOf,
    pub(super) year: Option<FinancialYear>,
    pub(super) sponsor: Option<String>,
    pub(super) capability: Option<String>,
    pub(super) lead_force: Option<String>,
    pub(super) overdue: bool,
    pub(super) sort: Sort,
}

impl Filters {
    pub(super) fn asked(&self) -> Result<Asked, PageError> {
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
            sponsor: params::text(&self.sponsor),
            capability: params::text(&self.capability),
            lead_force: params::text(&self.lead_force),
            overdue: self.overdue.as_deref() == Some("on"),
            sort: Sort::parse(self.sort.as_deref().unwrap_or("code")),
        })
    }

    /// These filters as a query string, in another order.
    pub(super) fn sorted_by(&self, sort: Sort) -> String {
        let pairs = [
            ("rating", &self.rating),
            ("stage", &self.stage),
            ("mine", &self.mine),
            ("as_of", &self.as_of),
            ("financial_year", &self.financial_year),
            ("sponsor", &self.sponsor),
            ("capability", &self.capability),
            ("lead_force", &self.lead_force),
            ("overdue", &self.overdue),
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

impl Asked {
    /// Whether `line` passes every filter; `owned` is the visitor's programmes, when
    /// only theirs are asked for.
    pub(super) fn admits(
        &self,
        line: &PortfolioLine,
        reporting: Reporting,
        owned: Option<&[String]>,
    ) -> bool {
        let same = |wanted: &Option<String>, value: &str| {
            wanted
                .as_ref()
                .is_none_or(|w| w.eq_ignore_ascii_case(value))
        };
        let force = line.lead_force.as_ref().map_or("", |f| f.as_str());
        self.rating.is_none_or(|r| line.rating == Some(r))
            && same(&self.sponsor, &line.sponsor)
            && same(&self.capability, line.capability_area.as_str())
            && same(&self.lead_force, force)
            && self.stage.is_none_or(|s| line.stage == s)
            && (!self.overdue || reporting.overdue(line))
            && owned.is_none_or(|codes| codes.iter().any(|c| c == line.code.as_str()))
    }
}

/// What the select boxes offer: every value some programme has, in order.
#[derive(Default)]
pub(super) struct Choices {
    pub(super) sponsors: Vec<String>,
    pub(super) capabilities: Vec<String>,
    /// Forces leading a programme: (id, name).
    pub(super) forces: Vec<(String, String)>,
}

impl Choices {
    pub(super) fn of(lines: &[PortfolioLine], forces: Vec<Force>) -> Self {
        let distinct = |pick: fn(&PortfolioLine) -> String| {
            let mut values: Vec<String> = lines.iter().map(pick).collect();
            values.sort();
            values.dedup();
            values
        };
        let leading = distinct(|l| {
            l.lead_force
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        });
        Choices {
            sponsors: distinct(|l| l.sponsor.clone()),
            capabilities: distinct(|l| l.capability_area.to_string()),
            forces: forces
                .into_iter()
                .filter(|f| leading.iter().any(|id| id == f.id.as_str()))
                .map(|f| (f.id.to_string(), f.name))
                .collect(),
        }
    }
}

/// A select box of one filter: "any" first, then each value with its label.
fn choice<'a>(
    name: &str,
    label: &str,
    any: &str,
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
    current: &Option<String>,
) -> Markup {
    html! {
        div class="form-group" {
            label class="label" for=(name) { (label) }
            select class="select" id=(name) name=(name) {
                option value="" { (any) }
                @for (value, text) in options {
                    option value=(value) selected[current.as_deref() == Some(value)] { (text) }
                }
            }
        }
    }
}

pub(super) fn filter_form(query: &Filters, asked: &Asked, choices: &Choices) -> Markup {
    let ratings = Rating::ALL.iter().map(|r| (r.as_str(), rating_words(*r)));
    let stages = Stage::ALL.iter().map(|s| (s.as_str(), s.as_str()));
    let capabilities: Vec<(String, String)> = choices
        .capabilities
        .iter()
        .map(|c| (c.clone(), slug_words(c)))
        .collect();
    html! {
        form method="get" action="/" class="filters" {
            @if let Some(year) = asked.year {
                input type="hidden" name="financial_year" value=(year);
            }
            input type="hidden" name="sort" value=(asked.sort.word());
            (choice("rating", "Rating", "Any rating", ratings, &query.rating))
            (choice("stage", "Stage", "Any stage", stages, &query.stage))
            (choice("sponsor", "Sponsor", "Any sponsor",
                choices.sponsors.iter().map(|v| (v.as_str(), v.as_str())), &query.sponsor))
            (choice("capability", "Capability area", "Any capability",
                capabilities.iter().map(|(v, t)| (v.as_str(), t.as_str())), &query.capability))
            (choice("lead_force", "Lead force", "Any lead force",
                choices.forces.iter().map(|(v, t)| (v.as_str(), t.as_str())), &query.lead_force))
            div class="form-group" {
                label class="label" for="as_of" { "As it stood on" }
                input class="input input-date" id="as_of" name="as_of" type="date"
                    value=(asked.as_of.day.format("%Y-%m-%d"));
            }
            div class="form-group checkbox" {
                input id="mine" name="mine" type="checkbox" checked[asked.mine];
                label class="label" for="mine" { "Only my programmes" }
            }
            div class="form-group checkbox" {
                input id="overdue" name="overdue" type="checkbox" checked[asked.overdue];
                label class="label" for="overdue" { "Only those overdue a report" }
            }
            button type="submit" class="button button-secondary" { "Apply" }
        }
    }
}
