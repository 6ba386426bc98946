//! Allocating money from a stream to a programme, or adjusting or withdrawing it, from
//! the funding page: for `finance` and `admin`. An allocation over the envelope is
//! refused with the headroom left, in the error summary.

use actix_web::{HttpResponse, post, web};
use beacon_core::{FinancialYear, LedgerKind, NewLedgerEntry, Pence};
use serde::Deserialize;

use super::forms::{FieldError, capitalised, effective_day, funding_field};
use super::funding;
use super::page::{self, PageError};
use super::session::{self, Visitor};
use crate::app::funding::record_entry;
use crate::rest::state::AppState;

/// The allocation form as typed: every field kept to show again beside its error.
#[derive(Deserialize, Default)]
pub struct AllocationForm {
    #[serde(default)]
    pub stream: String,
    #[serde(default)]
    pub programme: String,
    #[serde(default)]
    pub financial_year: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reason: String,
    /// Empty for today.
    #[serde(default)]
    pub effective_on: String,
    #[serde(default)]
    pub csrf: String,
}

fn error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, message)
}

/// The form as a ledger entry for a year, or what to fix in each field. The amount is
/// typed in pounds, as people write it; a withdrawal is typed as the sum withdrawn.
fn checked(form: &AllocationForm) -> Result<(FinancialYear, NewLedgerEntry), Vec<FieldError>> {
    let mut errors = Vec::new();
    let year = form.financial_year.trim().parse::<FinancialYear>().ok();
    if year.is_none() {
        errors.push(error(
            "financial_year",
            "Enter the financial year like 2025-26",
        ));
    }
    let kind = form.kind.parse::<LedgerKind>().ok();
    if kind.is_none() {
        errors.push(error("kind", "Choose allocate, adjust or withdraw"));
    }
    let amount = form.amount.trim().parse::<Pence>().ok();
    if amount.is_none() {
        errors.push(error(
            "amount",
            "Enter the amount in pounds, like 1,250,000 or 1250000.50",
        ));
    }
    let effective_on = effective_day(&form.effective_on)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(year), Some(kind), Some(amount), Some(effective_on)) =
        (year, kind, amount, effective_on)
    else {
        return Err(errors);
    };
    let signed = match kind {
        LedgerKind::Withdrawal => Pence::new(amount.get().saturating_neg()),
        _ => amount,
    };
    let entry = NewLedgerEntry::new(kind, signed, &form.reason).map_err(|invalid| {
        invalid
            .fields()
            .iter()
            .map(|e| match e.field.as_str() {
                "reason" => error("reason", "Enter the reason for this entry"),
                _ if kind == LedgerKind::Withdrawal => {
                    error("amount", "Enter the sum withdrawn, more than £0.00")
                }
                _ => error("amount", capitalised(&e.message)),
            })
            .collect::<Vec<_>>()
    })?;
    Ok((
        year,
        NewLedgerEntry {
            effective_on,
            ..entry
        },
    ))
}

#[post("/funding/allocations")]
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<AllocationForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    funding::may_manage(&visitor)?;
    let form = form.into_inner();
    let (year, entry) = match checked(&form) {
        Ok(checked) => checked,
        Err(errors) => return funding::refused(&state, &visitor, &form, &errors).await,
    };
    let (who, policy) = (visitor.caller.clone(), state.alerts.clone());
    let (stream, programme) = (form.stream.clone(), form.programme.clone());
    let recorded = state
        .db_write(move |conn| {
            match record_entry(conn, &who, &stream, &programme, year, &entry, &policy) {
                Ok(recorded) => Ok(Ok(recorded)),
                Err(refused) => {
                    let gone = error("stream", "Choose a funding stream from the list");
                    funding::field_error(refused, gone, funding_field).map(Err)
                }
            }
        })
        .await?;
    match recorded {
        Ok(recorded) => {
            session::flash(
                &visitor.session,
                &format!(
                    "Recorded: {} {} from {} to {} for {year}.",
                    recorded.entry.kind,
                    recorded.entry.amount,
                    recorded.stream.name,
                    recorded.programme.name
                ),
            );
            Ok(page::see_other("/funding"))
        }
        Err(refusal) => funding::refused(&state, &visitor, &form, &[refusal]).await,
    }
}

/// A field error from the use case, named by the form's field.
#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, amount: &str, reason: &str) -> AllocationForm {
        AllocationForm {
            financial_year: "2025-26".into(),
            kind: kind.into(),
            amount: amount.into(),
            reason: reason.into(),
            ..AllocationForm::default()
        }
    }

    #[test]
    fn amounts_are_typed_in_pounds_and_a_withdrawal_as_the_sum_taken() {
        let (_, entry) = checked(&form("allocation", "1,250,000", "Top-up"))
            .ok()
            .unwrap();
        assert_eq!(entry.amount, Pence::new(125_000_000));
        let (_, entry) = checked(&form("withdrawal", "£400.50", "Cut")).ok().unwrap();
        assert_eq!(entry.amount, Pence::new(-40_050));
        let errors = checked(&form("allocation", "1.5m", "")).err().unwrap();
        assert_eq!(errors[0].field, "amount");
        let errors = checked(&form("allocation", "100", " ")).err().unwrap();
        assert_eq!(errors[0].message, "Enter the reason for this entry");
    }
}
