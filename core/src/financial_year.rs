//! The UK financial year, 1 April to 31 March, written `2025-26`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The earliest and latest start years Beacon accepts: wide enough for any programme's
/// history and plans, narrow enough that every year has a four-digit end.
const FIRST_START_YEAR: i32 = 1990;
const LAST_START_YEAR: i32 = 2200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinancialYearError {
    #[error("'{0}' is not a financial year; write it like 2025-26 (April 2025 to March 2026)")]
    Malformed(String),
    #[error(
        "'{given}' is not a financial year: the year after {start} ends in {expected:02}, so write {start}-{expected:02}"
    )]
    WrongEnd {
        given: String,
        start: i32,
        expected: i32,
    },
    #[error("financial year starting {0} is outside the years Beacon records (1990-91 to 2200-01)")]
    OutOfRange(i32),
}

/// A financial year, identified by the calendar year in which it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialYear(i32);

impl FinancialYear {
    /// The year that starts on 1 April of `start_year`.
    pub fn starting(start_year: i32) -> Result<Self, FinancialYearError> {
        if (FIRST_START_YEAR..=LAST_START_YEAR).contains(&start_year) {
            Ok(FinancialYear(start_year))
        } else {
            Err(FinancialYearError::OutOfRange(start_year))
        }
    }

    /// The financial year a date falls in: January to March belong to the year that
    /// started the April before.
    pub fn containing(date: NaiveDate) -> Result<Self, FinancialYearError> {
        let start = if date.month() >= 4 {
            date.year()
        } else {
            date.year() - 1
        };
        Self::starting(start)
    }

    pub const fn start_year(self) -> i32 {
        self.0
    }

    /// 1 April of the start year.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    /// 31 March of the following year.
    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.0 + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    /// The first and last days Beacon records: those of its first and last years.
    pub fn recorded_days() -> (NaiveDate, NaiveDate) {
        (
            FinancialYear(FIRST_START_YEAR).first_day(),
            FinancialYear(LAST_START_YEAR).last_day(),
        )
    }

    /// `date` itself when Beacon records it, else a message giving the range.
    pub fn check_recorded(date: NaiveDate) -> Result<NaiveDate, String> {
        let (first, last) = Self::recorded_days();
        if (first..=last).contains(&date) {
            Ok(date)
        } else {
            Err(format!(
                "{date} is outside the dates Beacon records: use a date from {first} to {last}"
            ))
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The following year, if Beacon records it.
    pub fn next(self) -> Option<Self> {
        Self::starting(self.0 + 1).ok()
    }

    /// Every year from `self` to `last`, both included.
    pub fn through(self, last: FinancialYear) -> impl Iterator<Item = FinancialYear> {
        (self.0..=last.0).map(FinancialYear)
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

/// Reads `2025-26`. The slash form `2025/26`, common in government reports, is
/// accepted as an alias and always printed back with a hyphen.
impl FromStr for FinancialYear {
    type Err = FinancialYearError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        let malformed = || FinancialYearError::Malformed(input.to_string());
        let (start, end) = text
            .split_once('-')
            .or_else(|| text.split_once('/'))
            .ok_or_else(malformed)?;
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if start.len() != 4 || end.len() != 2 || !all_digits(start) || !all_digits(end) {
            return Err(malformed());
        }
        let start: i32 = start.parse().map_err(|_| malformed())?;
        let end: i32 = end.parse().map_err(|_| malformed())?;
        let expected = (start + 1).rem_euclid(100);
        if end != expected {
            return Err(FinancialYearError::WrongEnd {
                given: input.to_string(),
                start,
                expected,
            });
        }
        Self::starting(start)
    }
}

impl Serialize for FinancialYear {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FinancialYear {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn year_runs_from_first_of_april_to_thirty_first_of_march() {
        let year: FinancialYear = "2025-26".parse().unwrap();
        assert_eq!(year.first_day(), date(2025, 4, 1));
        assert_eq!(year.last_day(), date(2026, 3, 31));
        assert_eq!(FinancialYear::containing(date(2026, 3, 31)).unwrap(), year);
        assert_eq!(
            FinancialYear::containing(date(2026, 4, 1))
                .unwrap()
                .to_string(),
            "2026-27"
        );
        assert_eq!(
            FinancialYear::containing(date(2025, 3, 31))
                .unwrap()
                .to_string(),
            "2024-25"
        );
    }

    #[test]
    fn century_boundary_prints_two_digits() {
        assert_eq!(
            FinancialYear::starting(1999).unwrap().to_string(),
            "1999-00"
        );
        assert_eq!(
            "1999-00".parse::<FinancialYear>().unwrap().start_year(),
            1999
        );
    }

    #[test]
    fn slash_is_an_alias_printed_with_a_hyphen() {
        assert_eq!(
            "2025/26".parse::<FinancialYear>().unwrap().to_string(),
            "2025-26"
        );
    }

    #[test]
    fn malformed_years_say_how_to_write_them() {
        let wrong_end = "2025-27".parse::<FinancialYear>().unwrap_err();
        assert_eq!(
            wrong_end.to_string(),
            "'2025-27' is not a financial year: the year after 2025 ends in 26, so write 2025-26"
        );
        for bad in [
            "25-26",
            "2025",
            "2025-2026",
            "2025_26",
            "",
            "abcd-ef",
            "2025-2",
            "+025-26",
        ] {
            let error = bad.parse::<FinancialYear>().unwrap_err();
            assert!(error.to_string().contains("2025-26"), "{bad}: {error}");
        }
        assert!(matches!(
            "1800-01".parse::<FinancialYear>(),
            Err(FinancialYearError::OutOfRange(1800))
        ));
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(start in FIRST_START_YEAR..=LAST_START_YEAR) {
            let year = FinancialYear::starting(start).unwrap();
            prop_assert_eq!(year.to_string().parse::<FinancialYear>(), Ok(year));
        }

        #[test]
        fn every_day_belongs_to_exactly_the_year_that_contains_it(
            start in FIRST_START_YEAR..LAST_START_YEAR,
            offset in 0i64..366,
        ) {
            let year = FinancialYear::starting(start).unwrap();
            let day = year.first_day() + chrono::Duration::days(offset);
            let found = FinancialYear::containing(day).unwrap();
            prop_assert_eq!(found == year, year.contains(day));
            prop_assert!(found.contains(day));
        }

        #[test]
        fn the_31st_of_march_and_1st_of_april_are_in_consecutive_years(start in FIRST_START_YEAR..LAST_START_YEAR) {
            let march = FinancialYear::containing(date(start + 1, 3, 31)).unwrap();
            let april = FinancialYear::containing(date(start + 1, 4, 1)).unwrap();
            prop_assert_eq!(march.start_year(), start);
            prop_assert_eq!(april.start_year(), start + 1);
            prop_assert_eq!(march.next(), Some(april));
        }
    }

    #[test]
    fn recorded_days_run_from_the_first_year_to_the_last() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(FinancialYear::check_recorded(day("1990-04-01")).is_ok());
        assert!(FinancialYear::check_recorded(day("2201-03-31")).is_ok());
        assert_eq!(
            FinancialYear::check_recorded(day("1990-03-31")),
            Err("1990-03-31 is outside the dates Beacon records: use a date from 1990-04-01 to 2201-03-31".into())
        );
        assert!(FinancialYear::check_recorded(day("0001-01-01")).is_err());
    }
}
