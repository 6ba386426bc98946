//! Funding streams, their envelopes per financial year, and the ledger of allocations.
//!
//! The ledger is append-only: a programme's allocation from a stream in a year is the
//! sum of its entries, and a correction is a new entry, never an edit.

use chrono::NaiveDate;

use crate::error::ValidationErrors;
use crate::financial_year::FinancialYear;
use crate::money::{MoneyError, Pence};
use crate::{slug_type, text, vocabulary};

slug_type!(
    /// A funding stream's short code: `hmt-police-technology-2024-28`.
    StreamCode,
    "funding stream code",
    "hmt-police-technology-2024-28"
);

vocabulary! {
    /// What a ledger entry does to an allocation.
    LedgerKind, "ledger entry kind" {
        /// New money for a programme: positive.
        Allocation => "allocation",
        /// A correction either way: any sign, never zero.
        Adjustment => "adjustment",
        /// Money taken back: negative.
        Withdrawal => "withdrawal",
    }
}

vocabulary! {
    /// The kinds of entry in the funding history: the ledger's three, a change to an
    /// envelope, and spend.
    HistoryKind, "funding history kind" {
        Allocation => "allocation",
        Adjustment => "adjustment",
        Withdrawal => "withdrawal",
        Envelope => "envelope",
        Spend => "spend",
    }
}

impl From<LedgerKind> for HistoryKind {
    fn from(kind: LedgerKind) -> Self {
        match kind {
            LedgerKind::Allocation => HistoryKind::Allocation,
            LedgerKind::Adjustment => HistoryKind::Adjustment,
            LedgerKind::Withdrawal => HistoryKind::Withdrawal,
        }
    }
}

const NAME_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 4000;
const REASON_MAX: usize = 2000;

/// A funding stream: where money for programmes comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingStream {
    pub code: StreamCode,
    pub name: String,
    pub description: String,
}

impl FundingStream {
    pub fn parse(code: &str, name: &str, description: &str) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let code = errors.check("code", StreamCode::parse(code));
        let name = errors.check("name", text::required(name, NAME_MAX));
        let description = errors.check("description", text::optional(description, DESCRIPTION_MAX));
        match (code, name, description) {
            (Some(code), Some(name), Some(description)) => Ok(FundingStream {
                code,
                name,
                description,
            }),
            _ => Err(errors),
        }
    }
}

/// How much a stream may allocate in one financial year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    pub year: FinancialYear,
    pub amount: Pence,
    /// When the amount takes effect (decided or announced); today when not given.
    pub effective_on: Option<NaiveDate>,
}

impl Envelope {
    pub fn new(year: FinancialYear, amount: Pence) -> Result<Self, FundingError> {
        if amount.is_negative() {
            Err(FundingError::NegativeEnvelope { year, amount })
        } else if amount.within_limit().is_err() {
            Err(FundingError::EnvelopeOverLimit { year })
        } else {
            Ok(Envelope {
                year,
                amount,
                effective_on: None,
            })
        }
    }
}

/// A ledger entry ready to record: kind and sign agree, and there is a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLedgerEntry {
    pub kind: LedgerKind,
    pub amount: Pence,
    pub reason: String,
    /// When the money was decided or withdrawn; today when not given.
    pub effective_on: Option<NaiveDate>,
}

impl NewLedgerEntry {
    pub fn new(kind: LedgerKind, amount: Pence, reason: &str) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let sign_ok = match kind {
            LedgerKind::Allocation => amount.get() > 0,
            LedgerKind::Adjustment => !amount.is_zero(),
            LedgerKind::Withdrawal => amount.is_negative(),
        };
        if let Err(error) = amount.within_limit() {
            errors.add("amount_pence", error.to_string());
        } else if !sign_ok {
            let rule = match kind {
                LedgerKind::Allocation => "an allocation must be a positive amount",
                LedgerKind::Adjustment => "an adjustment must not be zero",
                LedgerKind::Withdrawal => "a withdrawal must be a negative amount",
            };
            errors.add("amount_pence", format!("{rule} (got {amount})"));
        }
        let reason = errors.check("reason", text::required(reason, REASON_MAX));
        match reason {
            Some(reason) if errors.is_empty() => Ok(NewLedgerEntry {
                kind,
                amount,
                reason,
                effective_on: None,
            }),
            _ => Err(errors),
        }
    }
}

/// The day a funding fact takes effect, `asked` or else `today`, if Beacon can hold it:
/// not after today (money is decided, announced or spent before it is recorded) and not
/// before the first day Beacon records.
pub fn effective_day(asked: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate, String> {
    let Some(day) = asked else {
        return Ok(today);
    };
    let (first, _) = FinancialYear::recorded_days();
    if day > today {
        Err(format!(
            "{day} is in the future; money takes effect when it is decided, announced or spent, so use a date up to today, {today}"
        ))
    } else if day < first {
        Err(format!(
            "{day} is before {first}, the first day Beacon records"
        ))
    } else {
        Ok(day)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundingError {
    #[error("an envelope cannot be negative ({amount} for {year})")]
    NegativeEnvelope { year: FinancialYear, amount: Pence },
    #[error(
        "an envelope for {year} must be at most £10,000,000,000,000.00 (1000000000000000 pence)"
    )]
    EnvelopeOverLimit { year: FinancialYear },
    #[error(
        "{requested} would take the {year} envelope of {envelope} over: only {headroom} is left"
    )]
    EnvelopeExceeded {
        year: FinancialYear,
        envelope: Pence,
        headroom: Pence,
        requested: Pence,
    },
    #[error(
        "{requested} would take the programme's allocation for {year} below zero: it has {balance}"
    )]
    BalanceBelowZero {
        year: FinancialYear,
        balance: Pence,
        requested: Pence,
    },
    #[error("{envelope} for {year} is less than the {allocated} already allocated")]
    EnvelopeBelowAllocated {
        year: FinancialYear,
        envelope: Pence,
        allocated: Pence,
    },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// What is left in an envelope after what is already allocated from it.
pub fn headroom(envelope: Pence, allocated: Pence) -> Result<Pence, MoneyError> {
    envelope.checked_sub(allocated)
}

/// Checks that a ledger entry of `amount` fits both the stream's envelope for the year
/// (given what the stream has allocated in it) and the programme's own balance from
/// that stream and year. Returns the stream's new allocated total.
pub fn check_entry_fits(
    year: FinancialYear,
    envelope: Pence,
    stream_allocated: Pence,
    programme_balance: Pence,
    amount: Pence,
) -> Result<Pence, FundingError> {
    let new_balance = programme_balance.checked_add(amount)?;
    if new_balance.is_negative() {
        return Err(FundingError::BalanceBelowZero {
            year,
            balance: programme_balance,
            requested: amount,
        });
    }
    let new_allocated = stream_allocated.checked_add(amount)?;
    if new_allocated > envelope {
        return Err(FundingError::EnvelopeExceeded {
            year,
            envelope,
            headroom: headroom(envelope, stream_allocated)?,
            requested: amount,
        });
    }
    Ok(new_allocated)
}

/// Checks that an envelope can be set to `amount` when `allocated` is already allocated.
pub fn check_envelope_covers(envelope: Envelope, allocated: Pence) -> Result<(), FundingError> {
    if envelope.amount < allocated {
        Err(FundingError::EnvelopeBelowAllocated {
            year: envelope.year,
            envelope: envelope.amount,
            allocated,
        })
    } else {
        Ok(())
    }
}

/// A programme's balance: the sum of its ledger entries.
pub fn balance<I: IntoIterator<Item = Pence>>(entries: I) -> Result<Pence, MoneyError> {
    Pence::sum(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn year() -> FinancialYear {
        "2025-26".parse().unwrap()
    }

    #[test]
    fn an_entry_that_fits_returns_the_new_total() {
        let total = check_entry_fits(
            year(),
            Pence::new(1000),
            Pence::new(600),
            Pence::ZERO,
            Pence::new(400),
        );
        assert_eq!(total, Ok(Pence::new(1000)));
    }

    #[test]
    fn money_takes_effect_by_today_and_within_the_years_beacon_records() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        assert_eq!(effective_day(None, today), Ok(today));
        let decided = NaiveDate::from_ymd_opt(2019, 1, 15).unwrap();
        assert_eq!(effective_day(Some(decided), today), Ok(decided));
        let tomorrow = today.succ_opt().unwrap();
        assert!(
            effective_day(Some(tomorrow), today)
                .unwrap_err()
                .contains("in the future")
        );
        let ancient = NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
        assert!(
            effective_day(Some(ancient), today)
                .unwrap_err()
                .contains("first day")
        );
    }

    #[test]
    fn an_entry_over_the_envelope_reports_the_headroom() {
        let error = check_entry_fits(
            year(),
            Pence::new(1000),
            Pence::new(600),
            Pence::ZERO,
            Pence::new(401),
        )
        .unwrap_err();
        assert_eq!(
            error,
            FundingError::EnvelopeExceeded {
                year: year(),
                envelope: Pence::new(1000),
                headroom: Pence::new(400),
                requested: Pence::new(401),
            }
        );
        assert_eq!(
            error.to_string(),
            "£4.01 would take the 2025-26 envelope of £10.00 over: only £4.00 is left"
        );
    }

    #[test]
    fn a_withdrawal_cannot_take_more_than_the_programme_has() {
        let error = check_entry_fits(
            year(),
            Pence::new(1000),
            Pence::new(600),
            Pence::new(100),
            Pence::new(-101),
        )
        .unwrap_err();
        assert!(matches!(error, FundingError::BalanceBelowZero { .. }));
    }

    #[test]
    fn kind_and_sign_must_agree() {
        assert!(NewLedgerEntry::new(LedgerKind::Allocation, Pence::new(5), "Award").is_ok());
        assert!(NewLedgerEntry::new(LedgerKind::Allocation, Pence::new(-5), "Award").is_err());
        assert!(NewLedgerEntry::new(LedgerKind::Withdrawal, Pence::new(5), "Cut").is_err());
        assert!(NewLedgerEntry::new(LedgerKind::Adjustment, Pence::ZERO, "Fix").is_err());
        let missing_reason =
            NewLedgerEntry::new(LedgerKind::Adjustment, Pence::new(-1), " ").unwrap_err();
        assert_eq!(missing_reason.fields()[0].field, "reason");
    }

    #[test]
    fn envelopes_are_never_negative() {
        assert!(Envelope::new(year(), Pence::new(-1)).is_err());
        assert!(Envelope::new(year(), Pence::ZERO).is_ok());
    }

    #[test]
    fn an_envelope_must_cover_what_is_allocated() {
        let envelope = Envelope::new(year(), Pence::new(100)).unwrap();
        assert!(check_envelope_covers(envelope, Pence::new(100)).is_ok());
        assert!(check_envelope_covers(envelope, Pence::new(101)).is_err());
    }

    proptest! {
        /// Applying any sequence of entries through the check never leaves the stream
        /// over its envelope, and accepts an entry exactly when it fits.
        #[test]
        fn accepted_entries_never_exceed_the_envelope(
            envelope in 0i64..1_000_000,
            amounts in proptest::collection::vec(-50_000i64..200_000, 0..60),
        ) {
            let envelope = Pence::new(envelope);
            let mut allocated = Pence::ZERO;
            for amount in amounts {
                let amount = Pence::new(amount);
                match check_entry_fits(year(), envelope, allocated, allocated, amount) {
                    Ok(total) => {
                        prop_assert_eq!(total, allocated.checked_add(amount).unwrap());
                        allocated = total;
                    }
                    Err(_) => {
                        let would_be = allocated.get() + amount.get();
                        prop_assert!(would_be > envelope.get() || would_be < 0);
                    }
                }
                prop_assert!(allocated <= envelope);
                prop_assert!(!allocated.is_negative());
            }
        }

        #[test]
        fn headroom_plus_allocated_is_the_envelope(envelope in 0i64..i64::MAX / 2, allocated in 0i64..i64::MAX / 2) {
            let left = headroom(Pence::new(envelope), Pence::new(allocated)).unwrap();
            prop_assert_eq!(left.get() + allocated, envelope);
        }
    }
}
