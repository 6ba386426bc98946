//! What an alert's email says: a subject, a lead sentence and the facts, as plain text
//! and as HTML.

use std::fmt::Write as _;

use beacon_core::alert::{FundingReduction, OverdueReport, RatingChange};
use beacon_core::{AlertDetails, Rating};
use chrono::NaiveDateTime;

/// What a message says, in both forms.
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A rating as people write it.
pub fn rating_label(rating: Option<Rating>) -> &'static str {
    match rating {
        Some(Rating::Red) => "Red",
        Some(Rating::AmberRed) => "Amber/Red",
        Some(Rating::Amber) => "Amber",
        Some(Rating::AmberGreen) => "Amber/Green",
        Some(Rating::Green) => "Green",
        None => "no rating",
    }
}

/// Escapes text for HTML: everything in an alert comes from people.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn when(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A message's subject, its lead sentence, and its facts as (label, value).
type Parts = (String, String, Vec<(&'static str, String)>);

fn turned_red(d: &RatingChange) -> Parts {
    let name = &d.programme.programme_name;
    (
        format!("[RED] {name} is now Red"),
        format!(
            "{name} has been reported Red: delivery appears to be unachievable without urgent action."
        ),
        rating_facts(d),
    )
}

fn left_red(d: &RatingChange) -> Parts {
    let name = &d.programme.programme_name;
    let new = rating_label(Some(d.rating));
    (
        format!("[NO LONGER RED] {name} is now {new}"),
        format!("{name} is no longer Red: it has been reported {new}."),
        rating_facts(d),
    )
}

fn rating_facts(d: &RatingChange) -> Vec<(&'static str, String)> {
    vec![
        (
            "Previous rating",
            rating_label(d.previous_rating).to_string(),
        ),
        ("New rating", rating_label(Some(d.rating)).to_string()),
        ("Rationale", d.rationale.clone()),
        ("Period ending", d.period_end.to_string()),
        ("Reported by", format!("{} at {}", d.by, when(d.at))),
    ]
}

fn overdue(d: &OverdueReport) -> Parts {
    let name = &d.programme.programme_name;
    let days = d.cadence_days;
    (
        format!("[REPORT DUE] {name} has had no status report for over {days} days"),
        format!(
            "{name} has had no status report for more than {days} days. Please report its delivery confidence."
        ),
        vec![
            (
                "Last report",
                d.last_report_at
                    .map_or_else(|| "none yet".to_string(), when),
            ),
            ("Report was due by", d.due_on.to_string()),
        ],
    )
}

fn funding_reduced(d: &FundingReduction) -> Parts {
    let name = &d.programme.programme_name;
    let amount = d.amount_pence.checked_neg().unwrap_or(d.amount_pence);
    let (stream, year) = (&d.stream_code, d.financial_year);
    (
        format!("[FUNDING REDUCED] {name}: {amount} less from {stream} in {year}"),
        format!("{name}'s funding from {stream} in {year} has been reduced by {amount}."),
        vec![
            ("Change", d.ledger_kind.to_string()),
            ("Amount", d.amount_pence.to_string()),
            (
                "Now allocated from this stream",
                d.balance_pence.to_string(),
            ),
            ("Reason", d.reason.clone()),
            ("Recorded by", format!("{} at {}", d.by, when(d.at))),
        ],
    )
}

/// The message for an alert with these details, linking to the programme's record.
pub fn compose(details: &AlertDetails, link: &str) -> Content {
    let (subject, lead, mut facts) = match details {
        AlertDetails::TurnedRed(d) => turned_red(d),
        AlertDetails::LeftRed(d) => left_red(d),
        AlertDetails::ReportOverdue(d) => overdue(d),
        AlertDetails::FundingReduced(d) => funding_reduced(d),
    };
    let programme = details.programme();
    facts.insert(
        0,
        (
            "Programme",
            format!(
                "{} ({})",
                programme.programme_name, programme.programme_code
            ),
        ),
    );
    facts.push(("Programme record", link.to_string()));
    Content {
        text: text(&lead, &facts),
        html: html(&lead, &facts),
        subject,
    }
}

const WHY: &str = "You receive this because you own this programme in Beacon, or your mailbox is set to hear of its alerts.";

fn text(lead: &str, facts: &[(&str, String)]) -> String {
    let mut text = format!("{lead}\n\n");
    for (label, value) in facts {
        let _ = writeln!(text, "{label}: {value}");
    }
    let _ = write!(text, "\n{WHY}\n");
    text
}

fn html(lead: &str, facts: &[(&str, String)]) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html><body>\n<p>{}</p>\n<table>\n",
        escape_html(lead)
    );
    for (label, value) in facts {
        let value = if *label == "Programme record" {
            format!("<a href=\"{0}\">{0}</a>", escape_html(value))
        } else {
            escape_html(value).replace('\n', "<br>")
        };
        let _ = writeln!(
            html,
            "<tr><th align=\"left\">{}</th><td>{value}</td></tr>",
            escape_html(label)
        );
    }
    let _ = write!(html, "</table>\n<p>{WHY}</p>\n</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_core::alert::AboutProgramme;

    #[test]
    fn html_is_escaped_and_text_is_not() {
        let details = AlertDetails::TurnedRed(RatingChange {
            programme: AboutProgramme {
                programme_code: "x".into(),
                programme_name: "<script>alert(1)</script> & co".into(),
            },
            previous_rating: None,
            rating: Rating::Red,
            rationale: "a < b".into(),
            period_end: chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
            by: "sro@met.police.uk".into(),
            at: NaiveDateTime::default(),
        });
        let content = compose(&details, "http://b/x");
        assert!(!content.html.contains("<script>"));
        assert!(content.html.contains("&lt;script&gt;"));
        assert!(content.html.contains("a &lt; b"));
        assert!(content.text.contains("<script>"));
        assert!(content.text.contains("Previous rating: no rating"));
    }
}
