//! Status reports: a programme lead's delivery confidence for a period, with the reason.

use chrono::NaiveDate;

use crate::error::ValidationErrors;
use crate::rating::Rating;
use crate::text;

const RATIONALE_MAX: usize = 10_000;

/// A status report ready to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewStatusReport {
    pub rating: Rating,
    pub rationale: String,
    /// The last day of the period the report covers.
    pub period_end: NaiveDate,
}

impl NewStatusReport {
    /// A report made on `today`: a rating below green needs a rationale, and the period
    /// it covers cannot end in the future.
    pub fn new(
        rating: Rating,
        rationale: &str,
        period_end: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let rationale = errors.check("rationale", text::optional(rationale, RATIONALE_MAX));
        if rating.needs_rationale() && rationale.as_deref() == Some("") {
            errors.add(
                "rationale",
                format!(
                    "{} {rating} rating needs a rationale: say why delivery confidence is below green",
                    if rating.as_str().starts_with('a') { "an" } else { "a" }
                ),
            );
        }
        if period_end > today {
            errors.add(
                "period_end",
                format!("the period cannot end in the future ({period_end} is after {today})"),
            );
        }
        match rationale {
            Some(rationale) if errors.is_empty() => Ok(NewStatusReport {
                rating,
                rationale,
                period_end,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn green_needs_no_rationale() {
        assert!(
            NewStatusReport::new(Rating::Green, "", day("2025-06-30"), day("2025-07-01")).is_ok()
        );
    }

    #[test]
    fn below_green_needs_a_rationale() {
        let errors = NewStatusReport::new(Rating::Red, "  ", day("2025-06-30"), day("2025-07-01"))
            .unwrap_err();
        assert_eq!(errors.fields()[0].field, "rationale");
        assert!(
            errors
                .to_string()
                .contains("a red rating needs a rationale")
        );
        let errors = NewStatusReport::new(Rating::Amber, "", day("2025-06-30"), day("2025-07-01"))
            .unwrap_err();
        assert!(
            errors
                .to_string()
                .contains("an amber rating needs a rationale"),
            "{errors}"
        );
    }

    #[test]
    fn period_cannot_end_after_today() {
        let errors = NewStatusReport::new(
            Rating::Amber,
            "Supplier late",
            day("2025-07-02"),
            day("2025-07-01"),
        )
        .unwrap_err();
        assert_eq!(errors.fields()[0].field, "period_end");
    }
}
