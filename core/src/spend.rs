//! Actual spend per programme per year, classed as keeping old systems running or
//! building new capability: what makes "97% keeps the lights on" measurable.

use crate::error::ValidationErrors;
use crate::financial_year::FinancialYear;
use crate::money::Pence;
use crate::{text, vocabulary};

vocabulary! {
    /// What money was spent on.
    SpendCategory, "spend category" {
        /// Keeping existing (legacy) systems running.
        Run => "run",
        /// New capability.
        Change => "change",
    }
}

const DESCRIPTION_MAX: usize = 2000;

/// A spend entry ready to record. A correction is a negative entry, so any sign but
/// zero is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSpend {
    pub category: SpendCategory,
    pub amount: Pence,
    pub description: String,
    /// When the money was spent; today when not given.
    pub effective_on: Option<chrono::NaiveDate>,
}

impl NewSpend {
    pub fn new(
        category: SpendCategory,
        amount: Pence,
        description: &str,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if amount.is_zero() {
            errors.add("amount_pence", "a spend entry must not be zero");
        } else if let Err(error) = amount.within_limit() {
            errors.add("amount_pence", error.to_string());
        }
        let description = errors.check("description", text::required(description, DESCRIPTION_MAX));
        match description {
            Some(description) if errors.is_empty() => Ok(NewSpend {
                category,
                amount,
                description,
                effective_on: None,
            }),
            _ => Err(errors),
        }
    }
}

/// Checks that an entry of `amount` keeps the year's spend in its category at zero or
/// more (a correction may not take back more than was recorded); returns the new total.
pub fn check_total(
    category: SpendCategory,
    year: FinancialYear,
    spent: Pence,
    amount: Pence,
) -> Result<Pence, ValidationErrors> {
    let field = |message: String| ValidationErrors::single("amount_pence", message);
    let after = spent
        .checked_add(amount)
        .map_err(|e| field(e.to_string()))?;
    if after.is_negative() {
        return Err(field(format!(
            "{amount} would take {category} spend for {year} below zero: {spent} is recorded"
        )));
    }
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spend_needs_an_amount_and_a_description() {
        assert!(
            NewSpend::new(
                SpendCategory::Run,
                Pence::new(1_300_000_000),
                "PND running costs"
            )
            .is_ok()
        );
        let errors = NewSpend::new(SpendCategory::Change, Pence::ZERO, "").unwrap_err();
        assert_eq!(errors.fields().len(), 2);
        assert_eq!(
            "keep".parse::<SpendCategory>().unwrap_err().to_string(),
            "'keep' is not a spend category; use one of: run, change"
        );
    }

    #[test]
    fn a_correction_cannot_take_spend_below_zero() {
        let year: FinancialYear = "2025-26".parse().unwrap();
        let total = |spent, amount| {
            check_total(
                SpendCategory::Run,
                year,
                Pence::new(spent),
                Pence::new(amount),
            )
        };
        assert_eq!(total(500, -500), Ok(Pence::ZERO));
        let error = total(500, -501).unwrap_err();
        assert_eq!(
            error.to_string(),
            "amount_pence: -£5.01 would take run spend for 2025-26 below zero: £5.00 is recorded"
        );
        assert!(
            total(i64::MAX, 1).is_err(),
            "overflow is refused, not wrapped"
        );
    }
}
