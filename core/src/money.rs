//! Money is a whole number of pence. Never a float; overflow is an error, not a wrap.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount is too large to hold in pence")]
    Overflow,
    #[error("'{0}' is not an amount of money; write pounds and pence like 1234.56 or £1,234.56")]
    Invalid(String),
    #[error("the amount must not be negative")]
    Negative,
    #[error("must be at most £10,000,000,000,000.00 either way (1000000000000000 pence)")]
    OverLimit,
}

/// An amount of money in pence, signed: ledger entries may be negative.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Pence(i64);

impl Pence {
    pub const ZERO: Pence = Pence(0);
    /// The most Beacon records in one amount, or in one year's total of envelopes or
    /// spend across the register: £10 trillion, far beyond any police budget, and
    /// small enough that every sum Beacon takes over programmes, streams and years
    /// fits in 64 bits.
    pub const LIMIT: Pence = Pence(1_000_000_000_000_000);

    /// The amount itself when it is within [`Pence::LIMIT`] either way.
    pub fn within_limit(self) -> Result<Self, MoneyError> {
        if self.0.unsigned_abs() > Self::LIMIT.0.unsigned_abs() {
            Err(MoneyError::OverLimit)
        } else {
            Ok(self)
        }
    }

    /// Whether `self + amount` stays within [`Pence::LIMIT`]: for a total across the
    /// register, `what` naming it in the refusal.
    pub fn check_total_within_limit(self, amount: Pence, what: &str) -> Result<Pence, String> {
        self.checked_add(amount)
            .and_then(Pence::within_limit)
            .map_err(|_| {
                format!(
                    "{amount} would take {what} past {}, the most Beacon records ({self} is recorded)",
                    Self::LIMIT
                )
            })
    }

    pub const fn new(pence: i64) -> Self {
        Pence(pence)
    }

    /// Whole pounds, e.g. a published "£55.5m" is `from_pounds(55_500_000)`.
    pub fn from_pounds(pounds: i64) -> Result<Self, MoneyError> {
        pounds
            .checked_mul(100)
            .map(Pence)
            .ok_or(MoneyError::Overflow)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The amount itself when it is zero or more.
    pub fn non_negative(self) -> Result<Self, MoneyError> {
        if self.0 < 0 {
            Err(MoneyError::Negative)
        } else {
            Ok(self)
        }
    }

    pub fn checked_add(self, other: Pence) -> Result<Pence, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Pence)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Pence) -> Result<Pence, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Pence)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Pence, MoneyError> {
        self.0.checked_neg().map(Pence).ok_or(MoneyError::Overflow)
    }

    /// The sum of many amounts, failing on overflow rather than wrapping.
    pub fn sum<I: IntoIterator<Item = Pence>>(amounts: I) -> Result<Pence, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Pence::ZERO, |total, amount| total.checked_add(amount))
    }

    /// Splits the amount into `parts` nearly equal shares that add up exactly: the
    /// leftover pence go one each to the first shares. `parts` of zero gives nothing.
    pub fn split_evenly(self, parts: usize) -> Vec<Pence> {
        let Ok(count) = i64::try_from(parts) else {
            return Vec::new();
        };
        if count == 0 {
            return Vec::new();
        }
        let share = self.0.div_euclid(count);
        let leftover = self.0.rem_euclid(count);
        (0..count)
            .map(|i| Pence(share + i64::from(i < leftover)))
            .collect()
    }
}

/// `£1,234.56`, `-£0.05`: how a person reads an amount.
impl fmt::Display for Pence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let pounds = (magnitude / 100).to_string();
        let mut grouped = String::with_capacity(pounds.len() + pounds.len() / 3);
        for (i, digit) in pounds.chars().enumerate() {
            if i > 0 && (pounds.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "{sign}£{grouped}.{:02}", magnitude % 100)
    }
}

/// Reads what `Display` writes, and the plainer `1234.56` or `1234`: pounds, optionally
/// with a pound sign, thousands commas and exactly two decimal places.
impl FromStr for Pence {
    type Err = MoneyError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = || MoneyError::Invalid(input.to_string());
        let text = input.trim();
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let text = text.strip_prefix('£').unwrap_or(text);
        let (pounds_text, pence_text) = match text.split_once('.') {
            Some((pounds, pence)) => (pounds, Some(pence)),
            None => (text, None),
        };
        if pounds_text.is_empty() {
            return Err(invalid());
        }
        let mut pounds: i64 = 0;
        let groups: Vec<&str> = pounds_text.split(',').collect();
        for (i, group) in groups.iter().enumerate() {
            let well_grouped = groups.len() == 1
                || (i == 0 && (1..=3).contains(&group.len()))
                || (i > 0 && group.len() == 3);
            if !well_grouped || !group.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            for digit in group.bytes() {
                pounds = pounds
                    .checked_mul(10)
                    .and_then(|p| p.checked_add(i64::from(digit - b'0')))
                    .ok_or(MoneyError::Overflow)?;
            }
        }
        let pence = match pence_text {
            None => 0,
            Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<i64>().map_err(|_| invalid())?
            }
            Some(_) => return Err(invalid()),
        };
        let total = pounds
            .checked_mul(100)
            .and_then(|p| p.checked_add(pence))
            .ok_or(MoneyError::Overflow)?;
        Ok(Pence(if negative { -total } else { total }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_pounds_with_commas_and_pence() {
        assert_eq!(Pence::new(123_456).to_string(), "£1,234.56");
        assert_eq!(Pence::new(-5).to_string(), "-£0.05");
        assert_eq!(Pence::new(23_400_000_000).to_string(), "£234,000,000.00");
        assert_eq!(
            Pence::new(i64::MIN).to_string(),
            "-£92,233,720,368,547,758.08"
        );
    }

    #[test]
    fn parses_the_forms_people_write() {
        assert_eq!("£1,234.56".parse(), Ok(Pence::new(123_456)));
        assert_eq!("1234.56".parse(), Ok(Pence::new(123_456)));
        assert_eq!("55500000".parse(), Ok(Pence::new(5_550_000_000)));
        assert_eq!("-£0.05".parse(), Ok(Pence::new(-5)));
    }

    #[test]
    fn rejects_ambiguous_or_malformed_amounts() {
        for bad in [
            "",
            "£",
            "12.3",
            "12.345",
            "1,23",
            "12,34,567",
            "1.2e3",
            "abc",
            "--1",
            "£-1",
        ] {
            assert!(bad.parse::<Pence>().is_err(), "{bad} should be rejected");
        }
        assert_eq!(
            "999999999999999999".parse::<Pence>(),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(
            Pence::new(i64::MAX).checked_add(Pence::new(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Pence::new(i64::MIN).checked_neg(),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Pence::from_pounds(i64::MAX / 10), Err(MoneyError::Overflow));
        assert_eq!(
            Pence::sum([Pence::new(i64::MAX), Pence::new(1)]),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn splits_keep_every_penny() {
        assert_eq!(
            Pence::new(10).split_evenly(3),
            vec![Pence::new(4), Pence::new(3), Pence::new(3)]
        );
        assert!(Pence::new(10).split_evenly(0).is_empty());
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(pence in (i64::MIN + 1)..=i64::MAX) {
            let amount = Pence::new(pence);
            prop_assert_eq!(amount.to_string().parse::<Pence>(), Ok(amount));
        }

        #[test]
        fn checked_add_matches_wide_arithmetic(a: i64, b: i64) {
            let wide = i128::from(a) + i128::from(b);
            let result = Pence::new(a).checked_add(Pence::new(b));
            match i64::try_from(wide) {
                Ok(exact) => prop_assert_eq!(result, Ok(Pence::new(exact))),
                Err(_) => prop_assert_eq!(result, Err(MoneyError::Overflow)),
            }
        }

        #[test]
        fn checked_sub_matches_wide_arithmetic(a: i64, b: i64) {
            let wide = i128::from(a) - i128::from(b);
            let result = Pence::new(a).checked_sub(Pence::new(b));
            match i64::try_from(wide) {
                Ok(exact) => prop_assert_eq!(result, Ok(Pence::new(exact))),
                Err(_) => prop_assert_eq!(result, Err(MoneyError::Overflow)),
            }
        }

        #[test]
        fn sum_is_exact_or_overflows(amounts in proptest::collection::vec(any::<i64>(), 0..20)) {
            let wide: i128 = amounts.iter().map(|&a| i128::from(a)).sum();
            let result = Pence::sum(amounts.iter().copied().map(Pence::new));
            // A running total may overflow even when the final sum would fit; that is
            // still an error, never a wrapped value.
            if let Ok(total) = result {
                prop_assert_eq!(i128::from(total.get()), wide);
            }
            if i64::try_from(wide).is_err() {
                prop_assert!(result.is_err());
            }
        }

        #[test]
        fn split_evenly_adds_up_and_differs_by_at_most_a_penny(
            pence in -1_000_000_000_000i64..1_000_000_000_000,
            parts in 1usize..50,
        ) {
            let shares = Pence::new(pence).split_evenly(parts);
            prop_assert_eq!(shares.len(), parts);
            prop_assert_eq!(Pence::sum(shares.iter().copied()), Ok(Pence::new(pence)));
            let max = shares.iter().max().map(|p| p.get()).unwrap_or(0);
            let min = shares.iter().min().map(|p| p.get()).unwrap_or(0);
            prop_assert!(max - min <= 1);
            prop_assert!(shares.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn amounts_and_totals_stay_within_the_limit() {
        assert_eq!(Pence::LIMIT.within_limit(), Ok(Pence::LIMIT));
        assert_eq!(
            Pence::new(-Pence::LIMIT.get()).within_limit(),
            Ok(Pence::new(-Pence::LIMIT.get()))
        );
        assert_eq!(
            Pence::new(Pence::LIMIT.get() + 1).within_limit(),
            Err(MoneyError::OverLimit)
        );
        assert_eq!(
            Pence::new(i64::MIN).within_limit(),
            Err(MoneyError::OverLimit)
        );
        let half = Pence::new(Pence::LIMIT.get() / 2);
        assert_eq!(half.check_total_within_limit(half, "x"), Ok(Pence::LIMIT));
        let refused =
            Pence::LIMIT.check_total_within_limit(Pence::new(1), "all envelopes for 2025-26");
        assert!(
            refused
                .unwrap_err()
                .contains("all envelopes for 2025-26 past £10,000,000,000,000.00")
        );
        assert!(
            Pence::new(i64::MAX)
                .check_total_within_limit(Pence::new(1), "x")
                .is_err()
        );
    }
}
