//! Alerts: which events tell a programme's owners, what each message says, when a
//! silent programme is reminded, and how a failed delivery is retried.

use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::financial_year::FinancialYear;
use crate::funding::LedgerKind;
use crate::money::Pence;
use crate::programme::Stage;
use crate::rating::{self, Rating};
use crate::vocabulary;

vocabulary! {
    /// What happened.
    AlertKind, "kind of alert" {
        /// A status report turned the programme Red.
        TurnedRed => "turned_red",
        /// A status report took a Red programme out of Red.
        LeftRed => "left_red",
        /// No status report for longer than the reporting cadence.
        ReportOverdue => "report_overdue",
        /// A withdrawal or a negative adjustment reduced the programme's funding.
        FundingReduced => "funding_reduced",
    }
}

vocabulary! {
    /// Where an alert's delivery stands.
    AlertStatus, "delivery status" {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
    }
}

impl AlertKind {
    /// Whether the policy's extra recipients (a portfolio office mailbox) hear of it:
    /// every event but overdue reminders, which are the owners' to act on.
    pub const fn tells_extra_recipients(self) -> bool {
        !matches!(self, AlertKind::ReportOverdue)
    }
}

/// Which alert a report that becomes the programme's latest raises: a turn to Red, or
/// a way out of it; nothing for any other change.
pub fn for_rating_change(previous: Option<Rating>, new: Rating) -> Option<AlertKind> {
    if rating::turns_red(previous, new) {
        Some(AlertKind::TurnedRed)
    } else if rating::leaves_red(previous, new) {
        Some(AlertKind::LeftRed)
    } else {
        None
    }
}

/// Whether a ledger entry takes money from its programme, which tells the owners.
pub fn reduces_funding(kind: LedgerKind, amount: Pence) -> bool {
    amount.is_negative() && matches!(kind, LedgerKind::Withdrawal | LedgerKind::Adjustment)
}

/// When an open programme silent since `since` fell overdue a status report, as
/// `overdue_since` says; a closed programme reports no more, so is never overdue.
pub fn report_overdue(
    stage: Stage,
    since: NaiveDateTime,
    now: NaiveDateTime,
    cadence_days: i64,
) -> Option<NaiveDateTime> {
    if stage == Stage::Closed {
        return None;
    }
    overdue_since(since, now, cadence_days)
}

/// When a programme silent since `since` (its last report, or its registration) fell
/// due for a reminder: the start of the current lapsed period of `cadence_days`, so a
/// programme that stays silent is reminded once each period, not once ever and not at
/// every sweep. `None` while it is not overdue.
pub fn overdue_since(
    since: NaiveDateTime,
    now: NaiveDateTime,
    cadence_days: i64,
) -> Option<NaiveDateTime> {
    let cadence = TimeDelta::days(cadence_days.max(1));
    let silent = now - since;
    if silent <= cadence {
        return None;
    }
    let periods = silent.num_seconds() / cadence.num_seconds();
    Some(since + cadence * i32::try_from(periods).unwrap_or(i32::MAX))
}

/// The longest wait between delivery attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// The wait before the next attempt after `attempts` failures: `base`, doubling with
/// each failure, at most [`MAX_RETRY_DELAY`]. Callers add jitter below it, so alerts that
/// failed together (a mail server down) do not all come back at once.
pub fn retry_delay(base: Duration, attempts: u32) -> Duration {
    let exponent = attempts.saturating_sub(1).min(20);
    base.saturating_mul(1 << exponent).min(MAX_RETRY_DELAY)
}

/// The key an alert is stored under: its kind, the event and the recipient, so the same
/// event tells the same person once, however often it is written.
pub fn key(kind: AlertKind, event: &str, recipient: &str) -> String {
    format!("{}:{event}:{}", kind.as_str(), recipient.to_lowercase())
}

/// The programme an alert is about, as it was named when the event happened: a later
/// rename does not rewrite what was true then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AboutProgramme {
    pub programme_code: String,
    pub programme_name: String,
}

/// A status report that turned a programme Red or took it out of Red.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingChange {
    #[serde(flatten)]
    pub programme: AboutProgramme,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_rating: Option<Rating>,
    pub rating: Rating,
    pub rationale: String,
    pub period_end: NaiveDate,
    /// Who reported it: an email, or the Beacon command.
    pub by: String,
    pub at: NaiveDateTime,
}

/// A programme with no status report for longer than the cadence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueReport {
    #[serde(flatten)]
    pub programme: AboutProgramme,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_report_at: Option<NaiveDateTime>,
    pub due_on: NaiveDate,
    pub cadence_days: i64,
    pub at: NaiveDateTime,
}

/// A ledger entry that took money from a programme, and what it has left from that
/// stream and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingReduction {
    #[serde(flatten)]
    pub programme: AboutProgramme,
    pub ledger_kind: LedgerKind,
    pub amount_pence: Pence,
    pub balance_pence: Pence,
    pub stream_code: String,
    pub financial_year: FinancialYear,
    pub reason: String,
    pub by: String,
    pub at: NaiveDateTime,
}

/// What an alert's message says, one shape per kind, fixed when the event happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertDetails {
    TurnedRed(RatingChange),
    LeftRed(RatingChange),
    ReportOverdue(OverdueReport),
    FundingReduced(FundingReduction),
}

impl AlertDetails {
    pub fn kind(&self) -> AlertKind {
        match self {
            AlertDetails::TurnedRed(_) => AlertKind::TurnedRed,
            AlertDetails::LeftRed(_) => AlertKind::LeftRed,
            AlertDetails::ReportOverdue(_) => AlertKind::ReportOverdue,
            AlertDetails::FundingReduced(_) => AlertKind::FundingReduced,
        }
    }

    pub fn programme(&self) -> &AboutProgramme {
        match self {
            AlertDetails::TurnedRed(d) | AlertDetails::LeftRed(d) => &d.programme,
            AlertDetails::ReportOverdue(d) => &d.programme,
            AlertDetails::FundingReduced(d) => &d.programme,
        }
    }

    /// The details as stored: the kind is stored beside them, so the JSON is the
    /// variant's fields alone.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            AlertDetails::TurnedRed(d) | AlertDetails::LeftRed(d) => serde_json::to_value(d),
            AlertDetails::ReportOverdue(d) => serde_json::to_value(d),
            AlertDetails::FundingReduced(d) => serde_json::to_value(d),
        };
        value.unwrap_or(serde_json::Value::Null)
    }

    /// Reads stored details back as the shape of `kind`.
    pub fn from_json(kind: AlertKind, text: &str) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            AlertKind::TurnedRed => AlertDetails::TurnedRed(serde_json::from_str(text)?),
            AlertKind::LeftRed => AlertDetails::LeftRed(serde_json::from_str(text)?),
            AlertKind::ReportOverdue => AlertDetails::ReportOverdue(serde_json::from_str(text)?),
            AlertKind::FundingReduced => AlertDetails::FundingReduced(serde_json::from_str(text)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn only_a_turn_into_or_out_of_red_raises_an_alert() {
        use Rating::*;
        assert_eq!(for_rating_change(None, Red), Some(AlertKind::TurnedRed));
        assert_eq!(
            for_rating_change(Some(Amber), Red),
            Some(AlertKind::TurnedRed)
        );
        assert_eq!(
            for_rating_change(Some(Red), AmberRed),
            Some(AlertKind::LeftRed)
        );
        assert_eq!(for_rating_change(Some(Red), Red), None);
        assert_eq!(for_rating_change(Some(Green), Amber), None);
        assert_eq!(for_rating_change(None, Green), None);
    }

    #[test]
    fn withdrawals_and_negative_adjustments_reduce_funding() {
        assert!(reduces_funding(LedgerKind::Withdrawal, Pence::new(-1)));
        assert!(reduces_funding(LedgerKind::Adjustment, Pence::new(-1)));
        assert!(!reduces_funding(LedgerKind::Adjustment, Pence::new(1)));
        assert!(!reduces_funding(LedgerKind::Allocation, Pence::new(5)));
    }

    #[test]
    fn a_silent_programme_falls_due_once_each_cadence() {
        let since = at("2026-01-01 09:00");
        assert_eq!(overdue_since(since, at("2026-02-05 09:00"), 35), None);
        assert_eq!(
            overdue_since(since, at("2026-02-05 09:01"), 35),
            Some(at("2026-02-05 09:00"))
        );
        assert_eq!(
            overdue_since(since, at("2026-03-01 00:00"), 35),
            Some(at("2026-02-05 09:00")),
            "still the first lapsed period"
        );
        assert_eq!(
            overdue_since(since, at("2026-03-12 09:01"), 35),
            Some(at("2026-03-12 09:00")),
            "the second period"
        );
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_delay(base, 1), base);
        assert_eq!(retry_delay(base, 2), base * 2);
        assert_eq!(retry_delay(base, 3), base * 4);
        assert_eq!(retry_delay(base, 50), MAX_RETRY_DELAY);
    }

    #[test]
    fn one_key_per_event_and_recipient_whatever_the_case() {
        assert_eq!(
            key(AlertKind::TurnedRed, "status_report:7", "SRO@Met.Police.uk"),
            "turned_red:status_report:7:sro@met.police.uk"
        );
    }

    #[test]
    fn details_are_stored_as_their_kind_reads_them() {
        let details = AlertDetails::TurnedRed(RatingChange {
            programme: AboutProgramme {
                programme_code: "esn".into(),
                programme_name: "Emergency Services Network".into(),
            },
            previous_rating: Some(Rating::Amber),
            rating: Rating::Red,
            rationale: "Supplier late".into(),
            period_end: NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
            by: "sro@met.police.uk".into(),
            at: at("2026-10-01 10:00"),
        });
        let json = details.to_json().to_string();
        assert!(json.contains(r#""programme_code":"esn""#), "{json}");
        assert!(json.contains(r#""rating":"red""#), "{json}");
        assert_eq!(
            AlertDetails::from_json(AlertKind::TurnedRed, &json).unwrap(),
            details
        );
        assert!(AlertDetails::from_json(AlertKind::FundingReduced, &json).is_err());
    }

    proptest! {
        #[test]
        fn a_reminder_falls_in_the_period_before_now(
            silent_minutes in 0i64..2_000_000,
            cadence_days in 1i64..100,
        ) {
            let since = at("2025-01-01 00:00");
            let now = since + TimeDelta::minutes(silent_minutes);
            match overdue_since(since, now, cadence_days) {
                None => prop_assert!(now - since <= TimeDelta::days(cadence_days)),
                Some(due) => {
                    prop_assert!(due > since && due <= now);
                    prop_assert!(now - due < TimeDelta::days(cadence_days) || now == due + TimeDelta::days(cadence_days));
                    prop_assert_eq!((due - since).num_seconds() % TimeDelta::days(cadence_days).num_seconds(), 0);
                }
            }
        }
    }
}
