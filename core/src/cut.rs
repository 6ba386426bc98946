//! Cutting an envelope below what is already allocated from it: only together with
//! withdrawals that take enough back, so allocations never lose the money behind them.

use crate::error::ValidationErrors;
use crate::financial_year::FinancialYear;
use crate::funding::StreamCode;
use crate::money::{MoneyError, Pence};
use crate::programme::ProgrammeCode;

/// What a programme holds from the envelope being cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub programme: ProgrammeCode,
    pub held: Pence,
}

/// Money to take back from one programme as part of a cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub programme: ProgrammeCode,
    /// How much to take back: more than zero.
    pub amount: Pence,
}

/// What a cut would leave uncovered: the envelope, what would still be allocated from
/// it, and each programme's remaining allocation from it, largest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncovered {
    pub stream: StreamCode,
    pub year: FinancialYear,
    pub envelope: Pence,
    pub allocated: Pence,
    pub allocations: Vec<Holding>,
}

impl Uncovered {
    /// How much more must be withdrawn for the cut to fit.
    pub fn excess(&self) -> Pence {
        self.allocated
            .checked_sub(self.envelope)
            .unwrap_or(Pence::ZERO)
    }
}

impl std::fmt::Display for Uncovered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} for {} is less than the {} allocated from '{}': withdraw {} more, or name the allocations to withdraw",
            self.envelope,
            self.year,
            self.allocated,
            self.stream,
            self.excess()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CutError {
    /// A withdrawal that cannot be made, by field (`withdrawals[i]`).
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("{0}")]
    Uncovered(Uncovered),
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// An envelope change: the stream and year, the envelope before (none for a new one) and
/// after, what is allocated from it, and what each programme holds from it.
#[derive(Debug, Clone)]
pub struct EnvelopeChange<'a> {
    pub stream: &'a StreamCode,
    pub year: FinancialYear,
    pub before: Option<Pence>,
    pub after: Pence,
    pub allocated: Pence,
    pub holdings: &'a [Holding],
}

impl EnvelopeChange<'_> {
    /// Checks the change with its `withdrawals` and returns what stays allocated after
    /// them. Withdrawals go only with a cut; each names a programme once and takes back
    /// more than nothing and at most what it holds; and together they must bring the
    /// allocations within the new envelope.
    pub fn check(&self, withdrawals: &[Withdrawal]) -> Result<Pence, CutError> {
        let is_cut = self.before.is_some_and(|before| self.after < before);
        if !withdrawals.is_empty() && !is_cut {
            return Err(ValidationErrors::single(
                "withdrawals",
                "withdrawals go with a cut: send them only when lowering the envelope",
            )
            .into());
        }
        self.check_each(withdrawals)?;
        let withdrawn = Pence::sum(withdrawals.iter().map(|w| w.amount))?;
        let allocated = self.allocated.checked_sub(withdrawn)?;
        if self.after < allocated {
            return Err(CutError::Uncovered(self.uncovered(allocated, withdrawals)?));
        }
        Ok(allocated)
    }

    fn held(&self, programme: &ProgrammeCode) -> Pence {
        self.holdings
            .iter()
            .find(|h| &h.programme == programme)
            .map_or(Pence::ZERO, |h| h.held)
    }

    fn check_each(&self, withdrawals: &[Withdrawal]) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        for (i, w) in withdrawals.iter().enumerate() {
            let field = format!("withdrawals[{i}]");
            let held = self.held(&w.programme);
            if withdrawals[..i].iter().any(|o| o.programme == w.programme) {
                errors.add(&field, "name each programme once");
            } else if w.amount <= Pence::ZERO {
                errors.add(&field, "withdraw_pence must be more than zero");
            } else if w.amount > held {
                errors.add(
                    &field,
                    format!(
                        "{} is more than the {held} this programme holds from '{}' in {}",
                        w.amount, self.stream, self.year
                    ),
                );
            }
        }
        errors.into_result(|| ())
    }

    fn uncovered(
        &self,
        allocated: Pence,
        withdrawals: &[Withdrawal],
    ) -> Result<Uncovered, MoneyError> {
        let mut allocations = Vec::new();
        for holding in self.holdings {
            let taken = Pence::sum(
                withdrawals
                    .iter()
                    .filter(|w| w.programme == holding.programme)
                    .map(|w| w.amount),
            )?;
            let left = holding.held.checked_sub(taken)?;
            if left > Pence::ZERO {
                allocations.push(Holding {
                    programme: holding.programme.clone(),
                    held: left,
                });
            }
        }
        allocations.sort_by(|a, b| {
            b.held
                .cmp(&a.held)
                .then_with(|| a.programme.cmp(&b.programme))
        });
        Ok(Uncovered {
            stream: self.stream.clone(),
            year: self.year,
            envelope: self.after,
            allocated,
            allocations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(text: &str) -> ProgrammeCode {
        ProgrammeCode::parse(text).unwrap()
    }

    fn stream() -> StreamCode {
        StreamCode::parse("hmt-police-technology-2024-28").unwrap()
    }

    fn holdings() -> Vec<Holding> {
        vec![
            Holding {
                programme: code("pnd"),
                held: Pence::new(600),
            },
            Holding {
                programme: code("esn"),
                held: Pence::new(400),
            },
        ]
    }

    fn cut_to<'a>(
        after: i64,
        stream: &'a StreamCode,
        holdings: &'a [Holding],
    ) -> EnvelopeChange<'a> {
        EnvelopeChange {
            stream,
            year: "2025-26".parse().unwrap(),
            before: Some(Pence::new(1000)),
            after: Pence::new(after),
            allocated: Pence::new(1000),
            holdings,
        }
    }

    fn take(programme: &str, pence: i64) -> Withdrawal {
        Withdrawal {
            programme: code(programme),
            amount: Pence::new(pence),
        }
    }

    #[test]
    fn a_cut_with_enough_withdrawn_fits() {
        let (stream, holdings) = (stream(), holdings());
        let change = cut_to(700, &stream, &holdings);
        assert_eq!(change.check(&[take("pnd", 300)]), Ok(Pence::new(700)));
    }

    #[test]
    fn a_cut_that_leaves_allocations_uncovered_lists_them_largest_first() {
        let (stream, holdings) = (stream(), holdings());
        let change = cut_to(700, &stream, &holdings);
        let Err(CutError::Uncovered(uncovered)) = change.check(&[take("esn", 100)]) else {
            panic!("expected uncovered");
        };
        assert_eq!(uncovered.excess(), Pence::new(200));
        assert_eq!(
            uncovered.allocations,
            vec![
                Holding {
                    programme: code("pnd"),
                    held: Pence::new(600)
                },
                Holding {
                    programme: code("esn"),
                    held: Pence::new(300)
                },
            ]
        );
        assert!(
            uncovered.to_string().contains("withdraw £2.00 more"),
            "{uncovered}"
        );
    }

    #[test]
    fn impossible_withdrawals_are_refused_by_field() {
        let (stream, holdings) = (stream(), holdings());
        let change = cut_to(0, &stream, &holdings);
        let Err(CutError::Invalid(errors)) = change.check(&[
            take("pnd", 600),
            take("pnd", 1),
            take("esn", 0),
            take("nope", 5),
        ]) else {
            panic!("expected field errors");
        };
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["withdrawals[1]", "withdrawals[2]", "withdrawals[3]"]
        );
        let raise = EnvelopeChange {
            after: Pence::new(2000),
            ..cut_to(0, &stream, &holdings)
        };
        assert!(matches!(
            raise.check(&[take("pnd", 1)]),
            Err(CutError::Invalid(_))
        ));
    }

    proptest! {
        /// Whatever is asked, an accepted change leaves the allocations within the new
        /// envelope and each programme with no less than nothing.
        #[test]
        fn an_accepted_change_is_always_covered(
            after in 0i64..2000,
            pnd in 0i64..800,
            esn in 0i64..600,
        ) {
            let (stream, holdings) = (stream(), holdings());
            let change = cut_to(after, &stream, &holdings);
            let withdrawals = [take("pnd", pnd), take("esn", esn)];
            if let Ok(allocated) = change.check(&withdrawals) {
                prop_assert!(allocated <= Pence::new(after));
                prop_assert!(pnd > 0 && pnd <= 600 && esn > 0 && esn <= 400);
                prop_assert_eq!(allocated.get(), 1000 - pnd - esn);
            }
        }
    }
}
