//! Rows as stored, for Diesel. They serialise to JSON for the audit trail's
//! before/after (anything secret is skipped there), which `audit_terms` restates in
//! the API's terms. Callers outside this crate get `records` instead: domain types.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::schema::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = forces)]
pub(crate) struct ForceRow {
    pub id: String,
    pub name: String,
    pub ons_code: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: i64,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub token_version: i64,
}

/// Also read back from the audit trail, to show a programme as it stood on a past date.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, Deserialize)]
#[diesel(table_name = programmes)]
pub(crate) struct ProgrammeRow {
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

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize, Deserialize)]
#[diesel(table_name = programme_owners)]
pub(crate) struct OwnerRow {
    pub programme_id: i64,
    pub user_id: i64,
    pub added_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = status_reports)]
pub(crate) struct StatusReportRow {
    pub id: i64,
    pub programme_id: i64,
    pub rating: String,
    pub rationale: String,
    pub period_end: NaiveDate,
    pub reported_by: Option<i64>,
    pub reported_at: NaiveDateTime,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = funding_streams)]
pub(crate) struct StreamRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = envelopes)]
pub(crate) struct EnvelopeRow {
    pub stream_id: i64,
    pub financial_year: i32,
    pub amount_pence: i64,
    pub allocated_pence: i64,
    pub basis: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = ledger_entries)]
pub(crate) struct LedgerRow {
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
    /// The day it takes effect: when the money was decided or withdrawn.
    pub effective_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = spend_entries)]
pub(crate) struct SpendRow {
    pub id: i64,
    pub programme_id: i64,
    pub financial_year: i32,
    pub category: String,
    pub amount_pence: i64,
    pub description: String,
    pub recorded_by: Option<i64>,
    pub recorded_at: NaiveDateTime,
    /// The day it takes effect: when the money was spent.
    pub effective_on: NaiveDate,
}

/// Also the shape of a programme-year's totals at the end of a past day.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Queryable, QueryableByName, Selectable, Serialize,
)]
#[diesel(table_name = programme_year_totals)]
pub(crate) struct TotalsRow {
    pub programme_id: i64,
    pub financial_year: i32,
    pub allocated_pence: i64,
    pub spent_run_pence: i64,
    pub spent_change_pence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub(crate) struct AuditRow {
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
pub(crate) struct AlertRow {
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

/// One recipient's alert, as written.
#[derive(Debug, Insertable)]
#[diesel(table_name = alerts, treat_none_as_default_value = false)]
pub(crate) struct NewAlertRow<'a> {
    pub unique_key: String,
    pub kind: &'a str,
    pub programme_id: i64,
    pub recipient: &'a str,
    pub details: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}
