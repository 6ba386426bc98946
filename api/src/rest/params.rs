//! Reading query and body values into Beacon's types, each error against its field.

use chrono::{DateTime, NaiveDateTime, Utc};

use beacon_core::FinancialYear;

use super::problem::ApiError;
use crate::app::{AsOf, Caller};

/// Parses one text field, reporting its error against the field's name.
pub(crate) fn parse_field<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| ApiError::field(field, e.to_string()))
}

/// A date written YYYY-MM-DD within the dates Beacon records, or a field error saying
/// what to write.
pub(crate) fn parse_date(field: &str, text: &str) -> Result<chrono::NaiveDate, ApiError> {
    FinancialYear::check_recorded(any_date(field, text)?)
        .map_err(|message| ApiError::field(field, message))
}

fn any_date(field: &str, text: &str) -> Result<chrono::NaiveDate, ApiError> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::field(
            field,
            format!("'{text}' is not a date; write it like 2025-06-30"),
        )
    })
}

/// An optional date (YYYY-MM-DD) in a body or query, e.g. `effective_on`.
pub(crate) fn optional_date(
    field: &str,
    text: Option<&str>,
) -> Result<Option<chrono::NaiveDate>, ApiError> {
    text.map(|text| any_date(field, text)).transpose()
}

/// A time written as a date (YYYY-MM-DD) or an RFC 3339 time. A date as an upper
/// bound (`end_of_day`) means the end of that day, so `to=2025-06-30` includes the 30th.
pub(crate) fn parse_instant(
    field: &str,
    text: &str,
    end_of_day: bool,
) -> Result<NaiveDateTime, ApiError> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        let time = time.naive_utc();
        FinancialYear::check_recorded(time.date())
            .map_err(|message| ApiError::field(field, message))?;
        return Ok(time);
    }
    if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() {
        return Err(ApiError::field(
            field,
            format!("'{text}' is not a date or time; write 2025-06-30 or 2025-06-30T12:00:00Z"),
        ));
    }
    let day = parse_date(field, text)?;
    let day = if end_of_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day.and_time(chrono::NaiveTime::MIN))
}

/// Stored times are UTC; the API writes them as RFC 3339.
pub(crate) fn utc(time: NaiveDateTime) -> DateTime<Utc> {
    time.and_utc()
}

/// Deserialises a field that may be absent (leave alone), null (clear) or a value.
pub(crate) fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// `as_of=YYYY-MM-DD`: the state at the end of that (UTC) day, today or earlier.
pub(crate) fn as_of(text: Option<&str>) -> Result<Option<AsOf>, ApiError> {
    text.map(|text| {
        let day = any_date("as_of", text)?;
        AsOf::past(day).map_err(|message| ApiError::field("as_of", message))
    })
    .transpose()
}

/// `as_of` with `known_as_of`: money as recorded by the end of that day rather than
/// now. Either alone is enough; `as_of` is then today, or the answer as known now.
pub(crate) fn as_of_known(
    as_of_text: Option<&str>,
    known_text: Option<&str>,
) -> Result<Option<AsOf>, ApiError> {
    let as_of = as_of(as_of_text)?;
    let Some(text) = known_text else {
        return Ok(as_of);
    };
    let known = any_date("known_as_of", text)?;
    let known = AsOf::check_past(known).map_err(|m| ApiError::field("known_as_of", m))?;
    Ok(Some(as_of.unwrap_or_else(AsOf::today).known_on(known)))
}

/// The user an `owner` parameter names: `me`, or a user's id.
pub(crate) fn owner(who: &Caller, text: &str) -> Result<i64, ApiError> {
    let id = match text.trim() {
        "me" => who.user_id(),
        other => other.parse().ok(),
    };
    id.ok_or_else(|| {
        ApiError::field(
            "owner",
            format!("expected 'me' or a user's id, got '{text}'"),
        )
    })
}

/// A text filter, trimmed; empty counts as not given.
pub(crate) fn text(value: &Option<String>) -> Option<String> {
    value
        .as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// An optional value parsed into its type, or a field error.
pub(crate) fn optional<T: std::str::FromStr>(
    field: &str,
    text: Option<&str>,
) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.map(|t| parse_field(field, t)).transpose()
}

/// A financial year and a word of a closed vocabulary from one body, both checked and
/// every error reported at once.
pub(crate) fn year_and<T: std::str::FromStr>(
    year: &str,
    field: &str,
    word: &str,
) -> Result<(beacon_core::FinancialYear, T), ApiError>
where
    T::Err: std::fmt::Display,
{
    let mut errors = beacon_core::ValidationErrors::new();
    let year = errors.check("financial_year", year.parse::<beacon_core::FinancialYear>());
    let word = errors.check(field, word.parse::<T>());
    match (year, word) {
        (Some(year), Some(word)) => Ok((year, word)),
        _ => Err(errors.into()),
    }
}
