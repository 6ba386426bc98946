//! Reporting a status (`/programmes/{code}/report`): for the programme's owners whose
//! role is lead, and admins. Errors follow the GOV.UK error summary and inline-error
//! pattern and keep what was typed.

use actix_web::{HttpResponse, get, post, web};
use beacon_core::{NewStatusReport, Rating};
use chrono::{Datelike, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{self, FieldError, capitalised};
use super::layout;
use super::page::{self, PageError};
use super::session::{self, Visitor};
use super::words::rating_words;
use crate::app::Caller;
use crate::app::reports::{self, Reported};
use crate::rest::problem::ApiError;
use crate::rest::state::AppState;

#[derive(Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    rationale: String,
    #[serde(default)]
    period_end: String,
    #[serde(default)]
    csrf: String,
}

const NOT_ALLOWED: &str =
    "Only the programme's owners whose role is lead, and admins, may report its status.";

/// The programme's name, once the visitor is known to be allowed to report on it.
async fn allowed(state: &AppState, who: &Caller, code: &str) -> Result<String, PageError> {
    let (who, code) = (who.clone(), code.to_string());
    state
        .db(move |conn| Ok(reports::reporting_on(conn, &who, &code)?))
        .await
        .map_err(|error| match error {
            ApiError::NotFound(_) => PageError::NotFound("No programme has this code.".into()),
            other => other.into(),
        })?
        .map(|programme| programme.name)
        .ok_or_else(|| PageError::Forbidden(NOT_ALLOWED.into()))
}

#[get("/programmes/{code}/report")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let name = allowed(&state, &visitor.caller, &code).await?;
    let form = ReportForm {
        period_end: last_month_end(Utc::now().date_naive()).to_string(),
        ..ReportForm::default()
    };
    Ok(page::ok(report_page(&visitor, &code, &name, &form, &[])))
}

#[post("/programmes/{code}/report")]
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    code: web::Path<String>,
    form: web::Form<ReportForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    let code = code.into_inner();
    let name = allowed(&state, &visitor.caller, &code).await?;
    let report = match checked(&form) {
        Ok(report) => report,
        Err(errors) => {
            let markup = report_page(&visitor, &code, &name, &form, &errors);
            return Ok(page::unprocessable(markup));
        }
    };
    let (who, asked, policy) = (visitor.caller.clone(), code.clone(), state.alerts.clone());
    let reported = state
        .db_write(move |conn| {
            Ok(reports::report_status(
                conn, &who, &asked, &report, &policy,
            )?)
        })
        .await
        .map_err(|error| match error {
            ApiError::Forbidden(_) => PageError::Forbidden(NOT_ALLOWED.into()),
            other => other.into(),
        })?;
    session::flash(&visitor.session, &confirmation(&reported));
    Ok(page::see_other(&format!("/programmes/{code}")))
}

/// The form's fields as a report, or what to fix in each.
fn checked(form: &ReportForm) -> Result<NewStatusReport, Vec<FieldError>> {
    let mut errors = Vec::new();
    let rating = form.rating.parse::<Rating>().ok();
    if rating.is_none() {
        errors.push(FieldError {
            field: "rating",
            message: "Choose a rating".into(),
        });
    }
    let period_end = NaiveDate::parse_from_str(form.period_end.trim(), "%Y-%m-%d").ok();
    if period_end.is_none() {
        errors.push(FieldError {
            field: "period_end",
            message: "Enter the last day of the period as a date, like 2026-10-31".into(),
        });
    }
    let (Some(rating), Some(period_end)) = (rating, period_end) else {
        return Err(errors);
    };
    NewStatusReport::new(rating, &form.rationale, period_end, Utc::now().date_naive()).map_err(
        |invalid| {
            invalid
                .fields()
                .iter()
                .map(|e| match e.field.as_str() {
                    "rationale" if e.message.contains("needs a rationale") => FieldError {
                        field: "rationale",
                        message: format!(
                            "Enter a rationale: say why delivery confidence is {}, below green",
                            rating_words(rating)
                        ),
                    },
                    "rationale" => FieldError {
                        field: "rationale",
                        message: capitalised(&e.message),
                    },
                    _ => FieldError {
                        field: "period_end",
                        message: "The period must end today or earlier".into(),
                    },
                })
                .collect()
        },
    )
}

/// The last day of the month before `today`: the usual period a report covers.
fn last_month_end(today: NaiveDate) -> NaiveDate {
    today
        .with_day(1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today)
}

/// What the programme page says once the report is in, and who will hear of it.
fn confirmation(reported: &Reported) -> String {
    let rating = rating_words(reported.report.rating);
    let mut text = format!("Your report was recorded: {rating}.");
    if reported.turned_red {
        text.push_str(&match reported.alerts {
            0 => " The programme turned Red, but it has no one to email about it.".to_string(),
            1 => " The programme turned Red: its owner is being emailed.".to_string(),
            n => format!(" The programme turned Red: {n} people are being emailed."),
        });
    } else if reported.alerts > 0 {
        text.push_str(" The programme left Red: its owners are being emailed.");
    }
    text
}

fn report_page(
    visitor: &Visitor,
    code: &str,
    name: &str,
    form: &ReportForm,
    errors: &[FieldError],
) -> Markup {
    let error_of = |field: &str| forms::error_for(errors, field);
    let ratings: Vec<(&str, &str, &str)> = Rating::ALL
        .iter()
        .map(|r| (r.as_str(), rating_words(*r), r.meaning()))
        .collect();
    let body = html! {
        (forms::summary(errors))
        span class="caption" { (name) }
        h1 class="heading-l" { "Report delivery confidence" }
        form method="post" action={ "/programmes/" (code) "/report" } novalidate {
            input type="hidden" name="csrf" value=(visitor.csrf);
            (forms::radios("rating", "Rating", error_of("rating"), &form.rating, &ratings))
            (forms::textarea("rationale", "Rationale", Some("Why: required for any rating below Green."),
                error_of("rationale"), &form.rationale))
            (forms::date_input("period_end", "Last day of the period reported on",
                error_of("period_end"), &form.period_end))
            button type="submit" class="button" { "Report" }
        }
        p class="body" { a href={ "/programmes/" (code) } { "Back to the programme" } }
    };
    layout::page("Report delivery confidence", visitor, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_covers_the_month_before_by_default() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(last_month_end(day(2026, 12, 4)), day(2026, 11, 30));
        assert_eq!(last_month_end(day(2026, 3, 1)), day(2026, 2, 28));
    }

    #[test]
    fn each_missing_field_is_named_with_what_to_do() {
        let form = ReportForm {
            rating: "amber".into(),
            period_end: "2026-10-31".into(),
            ..ReportForm::default()
        };
        let errors = checked(&form).unwrap_err();
        assert_eq!(errors[0].field, "rationale");
        assert_eq!(
            errors[0].message,
            "Enter a rationale: say why delivery confidence is Amber, below green"
        );
        let errors = checked(&ReportForm::default()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["rating", "period_end"]);
    }
}
