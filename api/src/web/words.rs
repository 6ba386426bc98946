//! How the pages say things: ratings in words and colour, dates for people.

use beacon_core::{AlertKind, Rating};
use chrono::NaiveDate;
use maud::{Markup, html};

/// A rating as people write it.
pub fn rating_words(rating: Rating) -> &'static str {
    match rating {
        Rating::Red => "Red",
        Rating::AmberRed => "Amber/Red",
        Rating::Amber => "Amber",
        Rating::AmberGreen => "Amber/Green",
        Rating::Green => "Green",
    }
}

/// A rating as a tag: its words always, its colour as well, never colour alone.
pub fn rating_tag(rating: Option<Rating>) -> Markup {
    match rating {
        Some(rating) => html! {
            strong class={ "tag tag-" (rating.as_str()) } { (rating_words(rating)) }
        },
        None => html! { strong class="tag tag-unrated" { "Not rated" } },
    }
}

/// A day as people read it: 4 December 2026.
pub fn day(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// A word-list value as people write it: `biometrics-and-forensics` is "Biometrics and
/// forensics", `status_report` "Status report".
pub fn slug_words(slug: &str) -> String {
    super::forms::capitalised(&slug.replace(['-', '_'], " "))
}

/// What an alert told of.
pub fn alert_words(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::TurnedRed => "Turned Red",
        AlertKind::LeftRed => "Left Red",
        AlertKind::ReportOverdue => "Report overdue",
        AlertKind::FundingReduced => "Funding reduced",
    }
}
