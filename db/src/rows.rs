//! Rows as stored. They serialise to JSON for the audit trail's before/after; anything
//! secret is skipped there.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::DbError;
use crate::schema::*;

/// Parses a stored word back into its domain type; a failure means the row was
/// changed outside Beacon.
pub(crate) fn stored<T: std::str::FromStr>(word: &str, what: &str) -> Result<T, DbError>
where
    T::Err: std::fmt::Display,
{
    word.parse()
        .map_err(|e| DbError::corrupt(format!("{what} '{word}': {e}")))
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = forces)]
pub struct ForceRow {
    pub id: String,
    pub name: String,
    pub ons_code: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    pub fn role(&self) -> Result<beacon_core::Role, DbError> {
        stored(&self.role, "role")
    }
}

/// Also read back from the audit trail, to show a programme as it stood on a past date.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, Deserialize)]
#[diesel(table_name = programmes)]
pub struct ProgrammeRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub capability_area: String,
    pub sponsor: String,
    pub lead_force_id: Option<String>,
    pub stage: String,
    pub start_date: Option<NaiveDate>,
    pub planned_end_date: Option<NaiveDate>,
    pub whole_life_cost_pence: Option<i64>,
    pub current_rating: Option<String>,
    pub rating_since: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ProgrammeRow {
    pub fn current_rating(&self) -> Result<Option<beacon_core::Rating>, DbError> {
        self.current_rating
            .as_deref()
            .map(|word| stored(word, "rating"))
            .transpose()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, Deserialize)]
#[diesel(table_name = programme_owners)]
pub struct OwnerRow {
    pub programme_id: i64,
    pub user_id: i64,
    pub added_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = status_reports)]
pub struct StatusReportRow {
    pub id: i64,
    pub programme_id: i64,
    pub rating: String,
    pub rationale: String,
    pub period_end: NaiveDate,
    pub reported_by: Option<i64>,
    pub reported_at: NaiveDateTime,
    pub source: String,
}

impl StatusReportRow {
    pub fn rating(&self) -> Result<beacon_core::Rating, DbError> {
        stored(&self.rating, "rating")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = funding_streams)]
pub struct StreamRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = envelopes)]
pub struct EnvelopeRow {
    pub stream_id: i64,
    pub financial_year: i32,
    pub amount_pence: i64,
    pub allocated_pence: i64,
    pub basis: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = ledger_entries)]
pub struct LedgerRow {
    pub id: i64,
    pub stream_id: i64,
    pub programme_id: i64,
    pub financial_year: i32,
    pub kind: String,
    pub amount_pence: i64,
    pub reason: String,
    pub recorded_by: Option<i64>,
    pub recorded_at: NaiveDateTime,
    /// The envelope change whose cut made this withdrawal, if one did.
    pub envelope_change_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = spend_entries)]
pub struct SpendRow {
    pub id: i64,
    pub programme_id: i64,
    pub financial_year: i32,
    pub category: String,
    pub amount_pence: i64,
    pub description: String,
    pub recorded_by: Option<i64>,
    pub recorded_at: NaiveDateTime,
}

/// Also the shape of a programme-year's totals at the end of a past day.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Queryable, QueryableByName, Selectable, Serialize,
)]
#[diesel(table_name = programme_year_totals)]
pub struct TotalsRow {
    pub programme_id: i64,
    pub financial_year: i32,
    pub allocated_pence: i64,
    pub spent_run_pence: i64,
    pub spent_change_pence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    /// Position in the hash chain; `None` only for an entry not yet sealed.
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// One alert in the outbox: who is told what about which programme, and how its
/// delivery is going.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = alerts)]
pub struct AlertRow {
    pub id: i64,
    pub unique_key: String,
    pub kind: String,
    pub programme_id: i64,
    pub recipient: String,
    pub details: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub last_error: Option<String>,
    pub message_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}
