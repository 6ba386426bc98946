//! The HTTP API under `/api/v1`, one module per resource. Every handler is registered
//! through utoipa-actix-web so that it appears in the OpenAPI document.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod forces;
pub mod funding;
pub mod health;
pub mod history;
pub mod portfolio;
pub mod programmes;
pub mod status_reports;
pub mod summary;
pub mod users;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::problem::ApiError;

/// Parses one text field, reporting its error against the field's name.
pub(crate) fn parse_field<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| ApiError::field(field, e.to_string()))
}

/// A date written YYYY-MM-DD, or a field error saying so.
pub(crate) fn parse_date(field: &str, text: &str) -> Result<chrono::NaiveDate, ApiError> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::field(
            field,
            format!("'{text}' is not a date; write it like 2025-06-30"),
        )
    })
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
        return Ok(time.naive_utc());
    }
    let day = parse_date(field, text).map_err(|_| {
        ApiError::field(
            field,
            format!("'{text}' is not a date or time; write 2025-06-30 or 2025-06-30T12:00:00Z"),
        )
    })?;
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

/// A past date to answer for: the state at the end of that (UTC) day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AsOf {
    pub day: chrono::NaiveDate,
    /// The first moment after the day: what was recorded before it counts.
    pub end: NaiveDateTime,
}

impl AsOf {
    /// Today so far: the present state.
    pub fn today() -> Self {
        Self::of(Utc::now().date_naive())
    }

    fn of(day: chrono::NaiveDate) -> Self {
        let next = day.succ_opt().unwrap_or(day);
        AsOf {
            day,
            end: next.and_time(chrono::NaiveTime::MIN),
        }
    }

    /// `as_of=YYYY-MM-DD`: today or earlier. A future date has no answer yet.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let day = parse_date("as_of", text)?;
        let today = Utc::now().date_naive();
        if day > today {
            return Err(ApiError::field(
                "as_of",
                format!(
                    "{day} is in the future; the latest date Beacon can answer for is today, {today}"
                ),
            ));
        }
        Ok(Self::of(day))
    }

    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, ApiError> {
        text.map(Self::parse).transpose()
    }
}
