//! Recording actual spend on a programme (`/funding/spend`), for `finance` and
//! `admin`: on running existing systems or on new capability. A negative correction
//! may not take a year's spend in its category below zero.

use actix_web::{HttpResponse, get, post, web};
use beacon_core::{FinancialYear, NewSpend, Pence, SpendCategory};
use beacon_db::programmes::Filter;
use maud::html;
use serde::Deserialize;

use super::forms::{self, FieldError, capitalised, effective_day, funding_field};
use super::funding::{self, may_manage};
use super::layout;
use super::page::{self, PageError};
use super::session::{self, Visitor};
use crate::app::funding::record_spend;
use crate::app::register;
use crate::rest::state::AppState;

/// The form as typed; a programme's page fills in the programme.
#[derive(Deserialize, Default)]
pub struct SpendForm {
    #[serde(default)]
    pub programme: String,
    #[serde(default)]
    pub financial_year: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub description: String,
    /// Empty for today.
    #[serde(default)]
    pub effective_on: String,
    #[serde(default)]
    pub csrf: String,
}

#[get("/funding/spend")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<SpendForm>,
) -> Result<HttpResponse, PageError> {
    may_manage(&visitor)?;
    Ok(page::ok(form_page(&state, &visitor, &query, &[]).await?))
}

/// The form as a spend entry for a year, or what to fix in each field.
fn checked(form: &SpendForm) -> Result<(FinancialYear, NewSpend), Vec<FieldError>> {
    let mut errors = Vec::new();
    if form.programme.trim().is_empty() {
        errors.push(FieldError::new("programme", "Choose a programme"));
    }
    let year = form.financial_year.trim().parse::<FinancialYear>().ok();
    if year.is_none() {
        errors.push(FieldError::new(
            "financial_year",
            "Enter the financial year like 2025-26",
        ));
    }
    let category = form.category.parse::<SpendCategory>().ok();
    if category.is_none() {
        errors.push(FieldError::new(
            "category",
            "Choose running existing systems or new capability",
        ));
    }
    let amount = form.amount.trim().parse::<Pence>().ok();
    if amount.is_none() {
        errors.push(FieldError::new(
            "amount",
            "Enter the amount in pounds, like 250,000 or -1,000 for a correction",
        ));
    }
    let effective_on = effective_day(&form.effective_on)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(year), Some(category), Some(amount), Some(effective_on)) =
        (year, category, amount, effective_on)
    else {
        return Err(errors);
    };
    let entry = NewSpend::new(category, amount, &form.description).map_err(|invalid| {
        invalid
            .fields()
            .iter()
            .map(|e| match e.field.as_str() {
                "description" => {
                    FieldError::new("description", "Enter what the money was spent on")
                }
                _ => FieldError::new("amount", capitalised(&e.message)),
            })
            .collect::<Vec<_>>()
    })?;
    if errors.is_empty() {
        Ok((
            year,
            NewSpend {
                effective_on,
                ..entry
            },
        ))
    } else {
        Err(errors)
    }
}

#[post("/funding/spend")]
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<SpendForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    may_manage(&visitor)?;
    let form = form.into_inner();
    let (year, entry) = match checked(&form) {
        Ok(checked) => checked,
        Err(errors) => return refused(&state, &visitor, &form, &errors).await,
    };
    let who = visitor.caller.clone();
    let programme = form.programme.clone();
    let recorded = state
        .db_write(
            move |conn| match record_spend(conn, &who, &programme, year, &entry) {
                Ok(recorded) => Ok(Ok(recorded)),
                Err(refused) => {
                    let gone = FieldError::new("programme", "Choose a programme from the list");
                    funding::field_error(refused, gone, funding_field).map(Err)
                }
            },
        )
        .await?;
    match recorded {
        Ok((spend, programme)) => {
            session::flash(
                &visitor.session,
                &format!(
                    "Recorded {} spent on {} for {}, {}.",
                    spend.amount,
                    words(spend.category),
                    programme.name,
                    spend.year
                ),
            );
            Ok(page::see_other(&format!("/programmes/{}", programme.code)))
        }
        Err(refusal) => refused(&state, &visitor, &form, &[refusal]).await,
    }
}

fn words(category: SpendCategory) -> &'static str {
    match category {
        SpendCategory::Run => "running existing systems",
        SpendCategory::Change => "new capability",
    }
}

async fn refused(
    state: &AppState,
    visitor: &Visitor,
    form: &SpendForm,
    errors: &[FieldError],
) -> Result<HttpResponse, PageError> {
    Ok(page::unprocessable(
        form_page(state, visitor, form, errors).await?,
    ))
}

async fn form_page(
    state: &AppState,
    visitor: &Visitor,
    form: &SpendForm,
    errors: &[FieldError],
) -> Result<maud::Markup, PageError> {
    let cache = state.owners.clone();
    let programmes: Vec<(String, String)> = state
        .db(move |conn| {
            let all = register::list(conn, &cache, &Filter::default(), None, i64::MAX, None)?;
            Ok(all
                .into_iter()
                .map(|d| (d.programme.code.to_string(), d.programme.name))
                .collect())
        })
        .await?;
    let error_of = |field: &str| forms::error_for(errors, field);
    let body = html! {
        (forms::summary(errors))
        a href="/funding" class="back-link" { "Back to funding" }
        h1 class="heading-l" { "Record spend" }
        form method="post" action="/funding/spend" novalidate {
            input type="hidden" name="csrf" value=(visitor.csrf);
            (forms::select("programme", "Programme", error_of("programme"), &form.programme,
                programmes.into_iter()))
            (forms::text_input("financial_year", "Financial year", Some("Like 2025-26"), error_of("financial_year"), &form.financial_year))
            (forms::radios("category", "What the money was spent on", error_of("category"), &form.category, &[
                ("run", "Running existing systems", "Keeping legacy systems going: licences, support, hosting"),
                ("change", "New capability", "Building or buying what the programme delivers"),
            ]))
            (forms::text_input("amount", "Amount in pounds", Some("Like 250,000; a negative amount corrects an earlier entry"), error_of("amount"), &form.amount))
            (forms::textarea("description", "What it was spent on", None, error_of("description"), &form.description))
            (forms::text_input("effective_on", "Day it was spent (optional)", Some("Like 2025-04-01; leave empty for today"), error_of("effective_on"), &form.effective_on))
            button type="submit" class="button" { "Record spend" }
        }
    };
    Ok(layout::page("Record spend", visitor, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(category: &str, amount: &str, description: &str) -> SpendForm {
        SpendForm {
            programme: "pnd-transformation".into(),
            financial_year: "2025-26".into(),
            category: category.into(),
            amount: amount.into(),
            description: description.into(),
            ..SpendForm::default()
        }
    }

    #[test]
    fn spend_is_typed_in_pounds_with_what_it_was_spent_on() {
        let (_, entry) = checked(&form("run", "250,000", "Oracle support"))
            .ok()
            .unwrap();
        assert_eq!(entry.amount, Pence::new(25_000_000));
        assert_eq!(entry.category, SpendCategory::Run);
        let errors = checked(&form("", "0", "")).err().unwrap();
        assert_eq!(errors[0].field, "category");
        let errors = checked(&form("change", "0", "Build")).err().unwrap();
        assert_eq!(errors[0].field, "amount");
        let errors = checked(&form("change", "10", " ")).err().unwrap();
        assert_eq!(errors[0].message, "Enter what the money was spent on");
    }
}
