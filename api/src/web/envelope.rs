//! Setting a stream's envelope for a financial year (`/funding/envelopes`), for
//! `finance` and `admin`. Lowering it below what is allocated is refused, naming the
//! allocations it would leave uncovered: those are withdrawn first, from the funding
//! page, so no programme loses money it was promised without a ledger entry saying so.

use actix_web::{HttpResponse, get, post, web};
use beacon_core::cut::Uncovered;
use beacon_core::{Envelope, FinancialYear, Pence};
use maud::html;
use serde::Deserialize;

use super::forms::{self, FieldError, capitalised};
use super::funding::{self, may_manage};
use super::layout;
use super::page::{self, PageError};
use super::session::{self, Visitor};
use crate::app::AppError;
use crate::app::funding::{list_streams, set_envelope};
use crate::rest::state::AppState;

/// The form as typed; a link from a stream's table fills in the stream and year.
#[derive(Deserialize, Default)]
pub struct EnvelopeForm {
    #[serde(default)]
    pub stream: String,
    #[serde(default)]
    pub financial_year: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub csrf: String,
}

#[get("/funding/envelopes")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<EnvelopeForm>,
) -> Result<HttpResponse, PageError> {
    may_manage(&visitor)?;
    Ok(page::ok(form_page(&state, &visitor, &query, &[]).await?))
}

/// The form as an envelope, or what to fix in each field.
fn checked(form: &EnvelopeForm) -> Result<Envelope, Vec<FieldError>> {
    let mut errors = Vec::new();
    let year = form.financial_year.trim().parse::<FinancialYear>().ok();
    if year.is_none() {
        errors.push(FieldError::new(
            "financial_year",
            "Enter the financial year like 2025-26",
        ));
    }
    let amount = form.amount.trim().parse::<Pence>().ok();
    if amount.is_none() {
        errors.push(FieldError::new(
            "amount",
            "Enter the envelope in pounds, like 1,250,000 or 0",
        ));
    }
    if form.stream.trim().is_empty() {
        errors.insert(0, FieldError::new("stream", "Choose a funding stream"));
    }
    let (Some(year), Some(amount)) = (year, amount) else {
        return Err(errors);
    };
    let envelope = Envelope::new(year, amount)
        .map_err(|e| vec![FieldError::new("amount", capitalised(&e.to_string()))])?;
    if errors.is_empty() {
        Ok(envelope)
    } else {
        Err(errors)
    }
}

#[post("/funding/envelopes")]
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<EnvelopeForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    may_manage(&visitor)?;
    let form = form.into_inner();
    let envelope = match checked(&form) {
        Ok(envelope) => envelope,
        Err(errors) => return refused(&state, &visitor, &form, &errors).await,
    };
    let (who, policy) = (visitor.caller.clone(), state.alerts.clone());
    let (stream, basis) = (form.stream.clone(), form.basis.clone());
    let set = state
        .db_write(move |conn| {
            match set_envelope(conn, &who, &stream, &envelope, &basis, &[], &policy) {
                Ok(set) => Ok(Ok(set)),
                Err(AppError::Uncovered(uncovered)) => Ok(Err(uncovered_error(&uncovered))),
                Err(refused) => {
                    let gone = FieldError::new("stream", "Choose a funding stream from the list");
                    funding::field_error(refused, gone, field_of).map(Err)
                }
            }
        })
        .await?;
    match set {
        Ok(set) => {
            session::flash(
                &visitor.session,
                &format!(
                    "The envelope of {} for {} is now {}.",
                    set.stream.name, set.envelope.year, set.envelope.amount
                ),
            );
            Ok(page::see_other(&format!(
                "/funding#stream-{}",
                set.stream.code
            )))
        }
        Err(refusal) => refused(&state, &visitor, &form, &[refusal]).await,
    }
}

/// A cut below what is allocated: how much more to withdraw first, and from whom.
fn uncovered_error(uncovered: &Uncovered) -> FieldError {
    let holders: Vec<String> = uncovered
        .allocations
        .iter()
        .map(|h| format!("{} ({})", h.programme, h.held))
        .collect();
    FieldError::new(
        "amount",
        format!(
            "{} is less than the {} allocated for {}: first withdraw {} from {}",
            uncovered.envelope,
            uncovered.allocated,
            uncovered.year,
            uncovered.excess(),
            holders.join(", ")
        ),
    )
}

fn field_of(invalid: &beacon_core::ValidationErrors) -> FieldError {
    let first = invalid.fields().first();
    let message = first.map_or_else(String::new, |e| capitalised(&e.message));
    match first.map(|e| e.field.as_str()) {
        Some("basis") => FieldError::new("basis", message),
        _ => FieldError::new("amount", message),
    }
}

async fn refused(
    state: &AppState,
    visitor: &Visitor,
    form: &EnvelopeForm,
    errors: &[FieldError],
) -> Result<HttpResponse, PageError> {
    Ok(page::unprocessable(
        form_page(state, visitor, form, errors).await?,
    ))
}

async fn form_page(
    state: &AppState,
    visitor: &Visitor,
    form: &EnvelopeForm,
    errors: &[FieldError],
) -> Result<maud::Markup, PageError> {
    let streams = state.db(|conn| Ok(list_streams(conn)?)).await?;
    let error_of = |field: &str| forms::error_for(errors, field);
    let body = html! {
        (forms::summary(errors))
        a href="/funding" class="back-link" { "Back to funding" }
        h1 class="heading-l" { "Set an envelope" }
        p class="body" {
            "What a stream may allocate in a financial year. To lower it below what is "
            "already allocated, first withdraw from the programmes that would be left uncovered."
        }
        form method="post" action="/funding/envelopes" novalidate {
            input type="hidden" name="csrf" value=(visitor.csrf);
            (forms::select("stream", "Funding stream", error_of("stream"), &form.stream,
                streams.iter().map(|s| (s.stream.code.to_string(), s.stream.name.clone()))))
            (forms::text_input("financial_year", "Financial year", Some("Like 2025-26"), error_of("financial_year"), &form.financial_year))
            (forms::text_input("amount", "Envelope in pounds", Some("Like 59,500,000"), error_of("amount"), &form.amount))
            (forms::textarea("basis", "Basis", Some("Where the figure comes from, like a Spending Review settlement"), error_of("basis"), &form.basis))
            button type="submit" class="button" { "Set the envelope" }
        }
    };
    Ok(layout::page("Set an envelope", visitor, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(stream: &str, year: &str, amount: &str) -> EnvelopeForm {
        EnvelopeForm {
            stream: stream.into(),
            financial_year: year.into(),
            amount: amount.into(),
            ..EnvelopeForm::default()
        }
    }

    #[test]
    fn an_envelope_is_typed_in_pounds_for_a_stream_and_year() {
        let envelope = checked(&form("pstf", "2025-26", "59,500,000"))
            .ok()
            .unwrap();
        assert_eq!(envelope.amount, Pence::new(5_950_000_000));
        let errors = checked(&form("", "2025", "lots")).err().unwrap();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["stream", "financial_year", "amount"]);
        let errors = checked(&form("pstf", "2025-26", "-5")).err().unwrap();
        assert_eq!(errors[0].field, "amount");
    }
}
