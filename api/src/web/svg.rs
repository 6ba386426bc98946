//! Charts drawn on the server as SVG: no script, and each with a text alternative and
//! the table beside it, so nothing is said by colour alone.

use beacon_core::Pence;
use beacon_core::Rating;
use beacon_db::records::{StatusReport, YearTotals};
use chrono::{Datelike, NaiveDate};
use maud::{Markup, html};

use super::words::{day, rating_words};

const WIDTH: f64 = 960.0;
const BAR: f64 = 40.0;

/// The ratings a programme has held, as a timeline from its first report to `today`:
/// one band per rating, coloured and, where it fits, named.
pub fn rating_timeline(reports: &[StatusReport], today: NaiveDate) -> Markup {
    let mut held: Vec<(NaiveDate, Rating)> = reports
        .iter()
        .map(|r| (r.reported_at.date(), r.rating))
        .collect();
    held.sort_by_key(|(date, _)| *date);
    let Some(&(start, _)) = held.first() else {
        return html! {};
    };
    let span = (today - start).num_days().max(1) as f64;
    let x = |date: NaiveDate| ((date - start).num_days() as f64 / span * WIDTH).clamp(0.0, WIDTH);
    let bands: Vec<(f64, f64, Rating, NaiveDate)> = held
        .iter()
        .enumerate()
        .map(|(i, &(from, rating))| {
            let to = held.get(i + 1).map_or(today, |next| next.0);
            (x(from), (x(to) - x(from)).max(1.0), rating, from)
        })
        .collect();
    let alternative = describe(&held, today);
    let years: Vec<i32> = (start.year() + 1..=today.year()).collect();
    html! {
        figure class="chart" {
            svg viewBox={ "0 0 " (WIDTH) " " (BAR + 24.0) } role="img" aria-labelledby="rating-chart-title"
                preserveAspectRatio="none" class="timeline" {
                title id="rating-chart-title" { (alternative) }
                @for (left, width, rating, from) in &bands {
                    rect x=(left) y="0" width=(width) height=(BAR) class={ "band band-" (rating.as_str()) } {
                        title { (rating_words(*rating)) " from " (day(*from)) }
                    }
                    @if *width > 90.0 {
                        text x=(left + 6.0) y=(BAR / 2.0 + 5.0) class={ "band-label band-label-" (rating.as_str()) } {
                            (rating_words(*rating))
                        }
                    }
                }
                @for year in &years {
                    @if let Some(new_year) = NaiveDate::from_ymd_opt(*year, 1, 1) {
                        line x1=(x(new_year)) x2=(x(new_year)) y1=(BAR) y2=(BAR + 6.0) class="tick" {}
                        text x=(x(new_year)) y=(BAR + 20.0) class="tick-label" text-anchor="middle" { (year) }
                    }
                }
            }
            figcaption class="hint" { (alternative) }
        }
    }
}

/// The chart in words, for a screen reader and for anyone who cannot tell the colours.
fn describe(held: &[(NaiveDate, Rating)], today: NaiveDate) -> String {
    let mut parts = Vec::new();
    for (i, (from, rating)) in held.iter().enumerate() {
        if i > 0 && held[i - 1].1 == *rating {
            continue;
        }
        parts.push(format!("{} from {}", rating_words(*rating), day(*from)));
    }
    format!(
        "Rating history to {}: {}.",
        day(today),
        parts.join(", then ")
    )
}

/// Money by financial year as grouped bars: allocated, spent on running existing
/// systems, spent on new capability; each bar titled with its figure.
pub fn money_by_year(years: &[YearTotals]) -> Markup {
    const HEIGHT: f64 = 160.0;
    let series = |t: &YearTotals| [t.allocated.get(), t.spent_run.get(), t.spent_change.get()];
    let most = years.iter().flat_map(series).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / years.len().max(1) as f64;
    let bar = (slot / 4.0).min(60.0);
    let names = ["allocated", "run", "change"];
    let labels = [
        "Allocated",
        "Spent on running existing systems",
        "Spent on new capability",
    ];
    let alternative = format!(
        "Money by financial year: {}.",
        years
            .iter()
            .map(|t| format!(
                "{} allocated {}, run {}, change {}",
                t.year, t.allocated, t.spent_run, t.spent_change
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    html! {
        figure class="chart" {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT + 24.0) } role="img" aria-labelledby="money-chart-title" class="bars" {
                title id="money-chart-title" { (alternative) }
                @for (i, totals) in years.iter().enumerate() {
                    @for (j, value) in series(totals).iter().enumerate() {
                        @let height = *value as f64 / most * HEIGHT;
                        rect x=(i as f64 * slot + bar * (0.5 + j as f64)) y=(HEIGHT - height)
                            width=(bar * 0.9) height=(height) class={ "bar bar-" (names[j]) } {
                            title { (totals.year) ", " (labels[j].to_lowercase()) ": " (Pence::new(*value)) }
                        }
                    }
                    text x=(i as f64 * slot + bar * 2.0) y=(HEIGHT + 18.0) class="tick-label" text-anchor="middle" { (totals.year) }
                }
            }
            figcaption class="hint" {
                ul class="legend" {
                    @for (j, label) in labels.iter().enumerate() {
                        li { span class={ "swatch bar-" (names[j]) } aria-hidden="true" {} (label) }
                    }
                }
            }
        }
    }
}
