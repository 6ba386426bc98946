//! What this crate returns: each stored record in Beacon's domain types, and the one
//! place rows are turned into them. A stored word or number that no longer parses
//! means the database was changed outside Beacon, and is reported as corrupt.

use beacon_core::{
    AlertDetails, AlertKind, AlertStatus, CapabilityArea, Email, FinancialYear, Force, ForceId,
    LedgerKind, Pence, ProgrammeCode, Rating, Role, SpendCategory, Stage, StreamCode,
};
use chrono::{NaiveDate, NaiveDateTime};

use crate::error::DbError;
use crate::rows::{
    AlertRow, AuditRow, EnvelopeRow, ForceRow, LedgerRow, ProgrammeRow, SpendRow, StatusReportRow,
    StreamRow, TotalsRow, UserRow,
};

/// Parses a stored value back into its domain type.
fn stored<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, DbError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| DbError::Corrupt(format!("{what} '{text}': {e}")))
}

pub(crate) fn year(start: i32) -> Result<FinancialYear, DbError> {
    FinancialYear::starting(start).map_err(|e| DbError::Corrupt(format!("financial year: {e}")))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: Email,
    pub role: Role,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Tokens carry it; a change of password, role or standing raises it, which ends
    /// the tokens issued before.
    pub token_version: i64,
}

impl TryFrom<UserRow> for User {
    type Error = DbError;
    fn try_from(row: UserRow) -> Result<Self, DbError> {
        Ok(User {
            id: row.id,
            email: Email::parse(&row.email)
                .map_err(|e| DbError::Corrupt(format!("email of user {}: {e}", row.id)))?,
            role: stored(&row.role, "role")?,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
            token_version: row.token_version,
        })
    }
}

/// A user with their stored password hash, for signing in: nowhere else.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub id: i64,
    pub code: ProgrammeCode,
    pub name: String,
    pub description: String,
    pub capability_area: CapabilityArea,
    pub sponsor: String,
    pub lead_force: Option<ForceId>,
    pub stage: Stage,
    pub start_date: Option<NaiveDate>,
    pub planned_end_date: Option<NaiveDate>,
    pub whole_life_cost: Option<Pence>,
    /// The latest status report's rating, and since when the programme has held it.
    pub rating: Option<Rating>,
    pub rating_since: Option<NaiveDateTime>,
    /// Changes with every change to the programme or its owners.
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<ProgrammeRow> for Programme {
    type Error = DbError;
    fn try_from(row: ProgrammeRow) -> Result<Self, DbError> {
        Ok(Programme {
            id: row.id,
            code: stored(&row.code, "programme code")?,
            name: row.name,
            description: row.description,
            capability_area: stored(&row.capability_area, "capability area")?,
            sponsor: row.sponsor,
            lead_force: row
                .lead_force_id
                .as_deref()
                .map(|id| stored(id, "force id"))
                .transpose()?,
            stage: stored(&row.stage, "stage")?,
            start_date: row.start_date,
            planned_end_date: row.planned_end_date,
            whole_life_cost: row.whole_life_cost_pence.map(Pence::new),
            rating: row
                .current_rating
                .as_deref()
                .map(|r| stored(r, "rating"))
                .transpose()?,
            rating_since: row.rating_since,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A programme's owner: a user and their email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub user_id: i64,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    pub id: i64,
    pub programme_id: i64,
    pub rating: Rating,
    pub rationale: String,
    pub period_end: NaiveDate,
    pub reported_by: Option<i64>,
    /// The reporter's email, for a reader who wants a name rather than an id.
    pub reported_by_email: Option<String>,
    pub reported_at: NaiveDateTime,
    /// `beacon` for a report made here, else the publication it came from.
    pub source: String,
}

impl TryFrom<StatusReportRow> for StatusReport {
    type Error = DbError;
    fn try_from(row: StatusReportRow) -> Result<Self, DbError> {
        Ok(StatusReport {
            id: row.id,
            programme_id: row.programme_id,
            rating: stored(&row.rating, "rating")?,
            rationale: row.rationale,
            period_end: row.period_end,
            reported_by: row.reported_by,
            reported_by_email: None,
            reported_at: row.reported_at,
            source: row.source,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub id: i64,
    pub code: StreamCode,
    pub name: String,
    pub description: String,
    pub created_at: NaiveDateTime,
}

impl TryFrom<StreamRow> for Stream {
    type Error = DbError;
    fn try_from(row: StreamRow) -> Result<Self, DbError> {
        Ok(Stream {
            id: row.id,
            code: stored(&row.code, "funding stream code")?,
            name: row.name,
            description: row.description,
            created_at: row.created_at,
        })
    }
}

/// A stream's envelope for one year and what is allocated from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeState {
    pub stream_id: i64,
    pub year: FinancialYear,
    pub amount: Pence,
    pub allocated: Pence,
    /// Where the figure comes from.
    pub basis: String,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<EnvelopeRow> for EnvelopeState {
    type Error = DbError;
    fn try_from(row: EnvelopeRow) -> Result<Self, DbError> {
        Ok(EnvelopeState {
            stream_id: row.stream_id,
            year: year(row.financial_year)?,
            amount: Pence::new(row.amount_pence),
            allocated: Pence::new(row.allocated_pence),
            basis: row.basis,
            updated_at: row.updated_at,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub stream_id: i64,
    pub programme_id: i64,
    pub year: FinancialYear,
    pub kind: LedgerKind,
    pub amount: Pence,
    pub reason: String,
    pub recorded_by: Option<i64>,
    pub recorded_at: NaiveDateTime,
    /// The envelope change whose cut made this withdrawal, if one did.
    pub envelope_change_id: Option<i64>,
    /// When it takes effect, as against when it was recorded.
    pub effective_on: NaiveDate,
}

impl TryFrom<LedgerRow> for LedgerEntry {
    type Error = DbError;
    fn try_from(row: LedgerRow) -> Result<Self, DbError> {
        Ok(LedgerEntry {
            id: row.id,
            stream_id: row.stream_id,
            programme_id: row.programme_id,
            year: year(row.financial_year)?,
            kind: stored(&row.kind, "ledger entry kind")?,
            amount: Pence::new(row.amount_pence),
            reason: row.reason,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at,
            envelope_change_id: row.envelope_change_id,
            effective_on: row.effective_on,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendEntry {
    pub id: i64,
    pub programme_id: i64,
    pub year: FinancialYear,
    pub category: SpendCategory,
    pub amount: Pence,
    pub description: String,
    pub recorded_by: Option<i64>,
    pub recorded_at: NaiveDateTime,
    /// When it takes effect, as against when it was recorded.
    pub effective_on: NaiveDate,
}

impl TryFrom<SpendRow> for SpendEntry {
    type Error = DbError;
    fn try_from(row: SpendRow) -> Result<Self, DbError> {
        Ok(SpendEntry {
            id: row.id,
            programme_id: row.programme_id,
            year: year(row.financial_year)?,
            category: stored(&row.category, "spend category")?,
            amount: Pence::new(row.amount_pence),
            description: row.description,
            recorded_by: row.recorded_by,
            recorded_at: row.recorded_at,
            effective_on: row.effective_on,
        })
    }
}

/// A programme's money in one year: allocated, and spent on run and on change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearTotals {
    pub programme_id: i64,
    pub year: FinancialYear,
    pub allocated: Pence,
    pub spent_run: Pence,
    pub spent_change: Pence,
}

impl YearTotals {
    /// What was spent in `category`.
    pub fn spent(&self, category: SpendCategory) -> Pence {
        match category {
            SpendCategory::Run => self.spent_run,
            SpendCategory::Change => self.spent_change,
        }
    }

    pub fn zero(programme_id: i64, year: FinancialYear) -> Self {
        YearTotals {
            programme_id,
            year,
            allocated: Pence::ZERO,
            spent_run: Pence::ZERO,
            spent_change: Pence::ZERO,
        }
    }
}

impl TryFrom<TotalsRow> for YearTotals {
    type Error = DbError;
    fn try_from(row: TotalsRow) -> Result<Self, DbError> {
        Ok(YearTotals {
            programme_id: row.programme_id,
            year: year(row.financial_year)?,
            allocated: Pence::new(row.allocated_pence),
            spent_run: Pence::new(row.spent_run_pence),
            spent_change: Pence::new(row.spent_change_pence),
        })
    }
}

impl TryFrom<ForceRow> for Force {
    type Error = DbError;
    fn try_from(row: ForceRow) -> Result<Self, DbError> {
        Ok(Force {
            id: stored(&row.id, "force id")?,
            name: row.name,
            ons_code: row.ons_code,
            country: row.country,
        })
    }
}

/// One alert: who is told what about which programme, and how its delivery is going.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: i64,
    /// The event and the recipient (see `beacon_core::alert::key`).
    pub key: String,
    pub programme_id: i64,
    pub recipient: String,
    pub details: AlertDetails,
    pub status: AlertStatus,
    pub attempts: u32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub last_error: Option<String>,
    pub message_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

impl Alert {
    pub fn kind(&self) -> AlertKind {
        self.details.kind()
    }
}

impl TryFrom<AlertRow> for Alert {
    type Error = DbError;
    fn try_from(row: AlertRow) -> Result<Self, DbError> {
        let kind: AlertKind = stored(&row.kind, "alert kind")?;
        let details = AlertDetails::from_json(kind, &row.details)
            .map_err(|e| DbError::Corrupt(format!("details of alert {}: {e}", row.id)))?;
        Ok(Alert {
            id: row.id,
            key: row.unique_key,
            programme_id: row.programme_id,
            recipient: row.recipient,
            details,
            status: stored(&row.status, "alert status")?,
            attempts: u32::try_from(row.attempts).unwrap_or_default(),
            next_attempt_at: row.next_attempt_at,
            lease_until: row.lease_until,
            claimed_by: row.claimed_by,
            last_error: row.last_error,
            message_id: row.message_id,
            created_at: row.created_at,
            sent_at: row.sent_at,
        })
    }
}

/// One entry of the audit trail, as stored: its snapshots are the JSON Beacon wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the hash chain; `None` only for an entry not yet sealed.
    pub seq: Option<i64>,
    pub at: NaiveDateTime,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        AuditEntry {
            seq: row.seq,
            at: row.at,
            actor_id: row.actor_id,
            actor: row.actor,
            action: row.action,
            entity: row.entity,
            entity_id: row.entity_id,
            before: row.before,
            after: row.after,
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

/// Maps every row of a query's result.
pub(crate) fn all<R, T>(rows: Vec<R>) -> Result<Vec<T>, DbError>
where
    T: TryFrom<R, Error = DbError>,
{
    rows.into_iter().map(T::try_from).collect()
}
