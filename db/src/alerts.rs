//! The alert outbox: what owners are told, written in the transaction of the event it
//! tells of, and claimed, sent and settled by the alert workers.
//!
//! An event writes one alert per recipient, in its own transaction, so an alert is
//! never lost and never sent for a change that rolled back.
//!
//! Exactly once rests on two things. Each alert has a unique key (the event and the
//! recipient), so an alert written twice is stored once. And a worker claims alerts
//! before it sends them: `FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock of
//! `BEGIN IMMEDIATE` on SQLite, with a lease. A claimed alert is not due again until its
//! lease ends, so a worker that dies holding it delays it by one lease and no more.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::{self, Actor};
use crate::connection::{DbConnection, on_backend, write_transaction};
use crate::error::DbError;
use crate::models::{AlertRow, LedgerRow, ProgrammeRow, StatusReportRow};
use crate::schema::{alerts, programme_owners, programmes, users};

/// What happened, as stored in `alerts.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A status report turned the programme Red.
    TurnedRed,
    /// A status report took a Red programme out of Red.
    LeftRed,
    /// No status report for longer than the reporting cadence.
    ReportOverdue,
    /// A withdrawal or a negative adjustment reduced the programme's funding.
    FundingReduced,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::TurnedRed,
        Kind::LeftRed,
        Kind::ReportOverdue,
        Kind::FundingReduced,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::TurnedRed => "turned_red",
            Kind::LeftRed => "left_red",
            Kind::ReportOverdue => "report_overdue",
            Kind::FundingReduced => "funding_reduced",
        }
    }

    pub fn parse(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

/// Where an alert's delivery stands.
pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const STATUSES: [&str; 3] = [PENDING, SENT, FAILED];

/// Whether events write alerts, and who besides the owners hears of them. Passed to
/// every change that can raise an alert, so each caller decides (the seed loader,
/// loading published history, raises none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub enabled: bool,
    /// Told of every event but overdue reminders (those are the owners' to act on),
    /// e.g. a portfolio office mailbox.
    pub extra_recipients: Vec<String>,
}

impl Policy {
    /// No alerts: `BEACON_ALERTS=off`, and the loading of published history.
    pub fn off() -> Self {
        Policy::default()
    }

    /// Alerts to owners and to `extra_recipients`.
    pub fn on(extra_recipients: Vec<String>) -> Self {
        Policy {
            enabled: true,
            extra_recipients,
        }
    }
}

/// What an alert's message says, fixed when the event happened: a later rename or
/// report does not rewrite what was true then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    pub programme_code: String,
    pub programme_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_rating: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rationale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_end: Option<NaiveDate>,
    /// Who reported or recorded the change (an email, or the Beacon command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When the event happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<NaiveDateTime>,
    /// Overdue reminders: the last report, if any, and the cadence it missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_report_at: Option<NaiveDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence_days: Option<i64>,
    /// Funding reductions: the entry, and the programme's balance from that stream
    /// and year after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_pence: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_pence: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_year: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Details {
    fn for_programme(programme: &ProgrammeRow) -> Self {
        Details {
            programme_code: programme.code.clone(),
            programme_name: programme.name.clone(),
            ..Details::default()
        }
    }
}

impl AlertRow {
    pub fn kind(&self) -> Result<Kind, DbError> {
        Kind::parse(&self.kind)
            .ok_or_else(|| DbError::corrupt(format!("alert kind '{}'", self.kind)))
    }

    pub fn details(&self) -> Result<Details, DbError> {
        Ok(serde_json::from_str(&self.details)?)
    }
}

/// One recipient's alert, as written.
#[derive(Insertable)]
#[diesel(table_name = alerts, treat_none_as_default_value = false)]
struct NewAlert<'a> {
    unique_key: String,
    kind: &'a str,
    programme_id: i64,
    recipient: &'a str,
    details: &'a str,
    status: &'a str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// What kind of event an alert is for, which says who hears of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occasion {
    /// A report or ledger entry being recorded: the programme's active owners hear of
    /// it, then the policy's extra recipients.
    Recorded,
    /// An overdue report: the programme's active owners alone.
    Sweep,
}

/// An event's alerts, ready to write: the event's key prefix (its kind and a key
/// naming it, unique among events of this kind), the programme, and the details every
/// recipient's alert carries.
#[derive(Debug)]
pub(crate) struct Queued {
    pub kind: Kind,
    pub key_prefix: String,
    pub programme_id: i64,
    pub details: String,
    pub at: NaiveDateTime,
}

impl Queued {
    fn new(kind: Kind, event: &str, programme_id: i64, details: &Details) -> Result<Self, DbError> {
        Ok(Queued {
            kind,
            key_prefix: format!("{}:{event}:", kind.as_str()),
            programme_id,
            details: serde_json::to_string(details)?,
            at: crate::now(),
        })
    }
}

/// Writes `alert` for its recipients: the programme's active owners, then (for an event
/// being recorded) the policy's extra recipients. Each recipient's alert is stored
/// under the event and the lowercased address, so an alert written twice (an extra
/// recipient who is also an owner, a reminder found again by the next sweep) is stored
/// once. Returns how many alerts it stored.
fn queue(
    conn: &mut DbConnection,
    policy: &Policy,
    occasion: Occasion,
    alert: &Queued,
) -> Result<usize, DbError> {
    let mut recipients: Vec<String> = programme_owners::table
        .inner_join(users::table)
        .filter(programme_owners::programme_id.eq(alert.programme_id))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(users::email)
        .load(conn)?;
    if occasion == Occasion::Recorded {
        recipients.extend(policy.extra_recipients.iter().cloned());
    }
    let rows: Vec<NewAlert<'_>> = recipients
        .iter()
        .map(|recipient| NewAlert {
            unique_key: format!("{}{}", alert.key_prefix, recipient.to_lowercase()),
            kind: alert.kind.as_str(),
            programme_id: alert.programme_id,
            recipient,
            details: &alert.details,
            status: PENDING,
            attempts: 0,
            next_attempt_at: alert.at,
            created_at: alert.at,
        })
        .collect();
    let mut written = 0;
    for row in &rows {
        let insert = diesel::insert_into(alerts::table)
            .values(row)
            .on_conflict(alerts::unique_key)
            .do_nothing();
        written += on_backend!(conn, |c| insert.execute(c))?;
    }
    Ok(written)
}

/// The alerts a status report raises when it is the programme's latest: a turn to Red,
/// or a way out of it, tells the owners. The report's transaction writes them (see
/// `status_reports::record`, which on PostgreSQL writes the owners' with the rating).
pub(crate) fn status_report_alert(
    policy: &Policy,
    actor: &Actor,
    programme: &ProgrammeRow,
    previous: Option<beacon_core::Rating>,
    report: &StatusReportRow,
) -> Result<Option<Queued>, DbError> {
    if !policy.enabled {
        return Ok(None);
    }
    let new: beacon_core::Rating = crate::models::stored(&report.rating, "rating")?;
    let kind = if beacon_core::rating::turns_red(previous, new) {
        Kind::TurnedRed
    } else if beacon_core::rating::leaves_red(previous, new) {
        Kind::LeftRed
    } else {
        return Ok(None);
    };
    let details = Details {
        previous_rating: previous.map(|r| r.as_str().to_string()),
        rating: Some(report.rating.clone()),
        rationale: Some(report.rationale.clone()),
        period_end: Some(report.period_end),
        by: Some(actor.label.clone()),
        at: Some(report.reported_at),
        ..Details::for_programme(programme)
    };
    Queued::new(
        kind,
        &format!("status_report:{}", report.id),
        programme.id,
        &details,
    )
    .map(Some)
}

/// Writes a status report's alerts (see [`status_report_alert`]).
pub(crate) fn queue_recorded(
    conn: &mut DbConnection,
    policy: &Policy,
    alert: &Queued,
) -> Result<usize, DbError> {
    queue(conn, policy, Occasion::Recorded, alert)
}

/// Called inside a ledger entry's transaction: a withdrawal, or an adjustment that takes
/// money away, tells the owners what their programme lost and what it still has.
pub(crate) fn on_ledger_entry(
    conn: &mut DbConnection,
    policy: &Policy,
    actor: &Actor,
    stream_code: &str,
    year: beacon_core::FinancialYear,
    entry: &LedgerRow,
    balance_after: i64,
) -> Result<usize, DbError> {
    let reduces = entry.amount_pence < 0
        && (entry.kind == beacon_core::LedgerKind::Withdrawal.as_str()
            || entry.kind == beacon_core::LedgerKind::Adjustment.as_str());
    if !policy.enabled || !reduces {
        return Ok(0);
    }
    let programme = crate::programmes::get_by_id(conn, entry.programme_id)?;
    let details = Details {
        ledger_kind: Some(entry.kind.clone()),
        amount_pence: Some(entry.amount_pence),
        balance_pence: Some(balance_after),
        stream_code: Some(stream_code.to_string()),
        financial_year: Some(year.to_string()),
        reason: Some(entry.reason.clone()),
        by: Some(actor.label.clone()),
        at: Some(entry.recorded_at),
        ..Details::for_programme(&programme)
    };
    let alert = Queued::new(
        Kind::FundingReduced,
        &format!("ledger_entry:{}", entry.id),
        programme.id,
        &details,
    )?;
    queue(conn, policy, Occasion::Recorded, &alert)
}

/// Writes a reminder to the owners of each programme that is not closed and has had no
/// status report for more than `cadence_days` (counted from its last report, or from its
/// creation when it has none), and again after each further `cadence_days` of silence.
/// The period is part of the reminder's key, so however often this runs, and on however
/// many workers, each lapse reminds each owner once.
/// Returns the reminders written.
pub fn queue_overdue_reminders(
    conn: &mut DbConnection,
    policy: &Policy,
    now: NaiveDateTime,
    cadence_days: i64,
) -> Result<usize, DbError> {
    if !policy.enabled {
        return Ok(0);
    }
    let cadence = TimeDelta::days(cadence_days);
    // One read finds the open programmes someone owns, each with its last report: only
    // they can remind anyone.
    let owned = programme_owners::table
        .filter(programme_owners::programme_id.eq(programmes::id))
        .select(programme_owners::programme_id);
    let candidates: Vec<(ProgrammeRow, Option<NaiveDateTime>)> = programmes::table
        .filter(programmes::stage.ne(beacon_core::Stage::Closed.as_str()))
        .filter(diesel::dsl::exists(owned))
        .order(programmes::id.asc())
        .select((
            ProgrammeRow::as_select(),
            crate::status_reports::LatestReportAt,
        ))
        .load(conn)?;
    let overdue: Vec<(i64, String, Details)> = candidates
        .into_iter()
        .filter_map(|(programme, last)| {
            let since = last.unwrap_or(programme.created_at);
            if now - since <= cadence {
                return None;
            }
            // The start of the current lapsed period: a programme that stays silent is
            // reminded once each cadence, not once ever and not on every sweep.
            let periods = (now - since).num_seconds() / cadence.num_seconds().max(1);
            let due = since + cadence * i32::try_from(periods).unwrap_or(i32::MAX);
            let event = format!("programme:{}:due:{}", programme.id, due.date());
            let details = Details {
                last_report_at: last,
                due_on: Some(due.date()),
                cadence_days: Some(cadence_days),
                at: Some(now),
                ..Details::for_programme(&programme)
            };
            Some((programme.id, event, details))
        })
        .collect();
    let mut written = 0;
    // A write transaction per 50 programmes: a sweep over a large portfolio (each
    // reminder already written is a no-op) neither holds SQLite's write lock for long nor
    // takes it once per programme.
    for chunk in overdue.chunks(50) {
        written += write_transaction(conn, |conn| {
            let mut written = 0;
            for (programme_id, event, details) in chunk {
                let alert = Queued::new(Kind::ReportOverdue, event, *programme_id, details)?;
                written += queue(conn, policy, Occasion::Sweep, &alert)?;
            }
            Ok::<_, DbError>(written)
        })?;
    }
    Ok(written)
}

/// Claims up to `batch` due alerts for `worker` until `now + lease`, counting the
/// attempt. A claimed alert is not due again until the lease ends; the worker records
/// its outcome with [`record_outcomes`] before then.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease: TimeDelta,
    batch: i64,
) -> Result<Vec<AlertRow>, DbError> {
    let until = now + lease;
    // An idle worker asks first with a plain read: on SQLite a claim takes the only
    // write lock, which status reports should not queue behind for nothing.
    let due = || {
        alerts::table
            .filter(alerts::status.eq(PENDING))
            .filter(alerts::next_attempt_at.le(now))
    };
    let any: Option<i64> = due().select(alerts::id).first(conn).optional()?;
    if any.is_none() {
        return Ok(Vec::new());
    }
    write_transaction(conn, |conn| {
        let oldest = due()
            .order((alerts::next_attempt_at.asc(), alerts::id.asc()))
            .select(alerts::id)
            .limit(batch);
        let ids: Vec<i64> = match conn {
            // Rows another worker is claiming right now are skipped, not waited for:
            // workers share the due alerts without queueing behind each other.
            DbConnection::Postgres(pg) => oldest.for_update().skip_locked().load(pg)?,
            // BEGIN IMMEDIATE already holds SQLite's only write lock.
            DbConnection::Sqlite(_) => oldest.load(conn)?,
        };
        let mut claimed: Vec<AlertRow> = diesel::update(alerts::table)
            .filter(alerts::id.eq_any(&ids))
            .set((
                alerts::attempts.eq(alerts::attempts + 1),
                alerts::next_attempt_at.eq(until),
                alerts::lease_until.eq(Some(until)),
                alerts::claimed_by.eq(Some(worker)),
            ))
            .returning(alerts::all_columns)
            .get_results(conn)?;
        claimed.sort_by_key(|a| (a.created_at, a.id));
        Ok(claimed)
    })
}

/// What became of one claimed alert.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Delivered, under this Message-ID.
    Sent { message_id: &'a str },
    /// Not delivered: due again at `retry_at`, or failed for good when `None` (out of
    /// attempts).
    Failed {
        error: &'a str,
        retry_at: Option<NaiveDateTime>,
    },
}

/// Records what became of alerts `worker` claimed, in one transaction. Each changes an
/// alert only while it is still pending and claimed by `worker`, so a worker whose lease
/// ended cannot settle an alert another worker now holds: for each, false when the
/// worker no longer held it (the caller logs that).
pub fn record_outcomes(
    conn: &mut DbConnection,
    worker: &str,
    outcomes: &[(i64, Outcome<'_>)],
) -> Result<Vec<bool>, DbError> {
    let now = crate::now();
    write_transaction(conn, |conn| {
        outcomes
            .iter()
            .map(|(id, outcome)| {
                let held = alerts::table
                    .filter(alerts::id.eq(*id))
                    .filter(alerts::status.eq(PENDING))
                    .filter(alerts::claimed_by.eq(worker));
                let changed = match *outcome {
                    Outcome::Sent { message_id } => diesel::update(held)
                        .set((
                            alerts::status.eq(SENT),
                            alerts::sent_at.eq(Some(now)),
                            alerts::message_id.eq(Some(message_id)),
                            alerts::lease_until.eq(None::<NaiveDateTime>),
                        ))
                        .execute(conn)?,
                    Outcome::Failed { error, retry_at } => {
                        let (status, next_attempt_at) = match retry_at {
                            Some(at) => (PENDING, at),
                            None => (FAILED, now),
                        };
                        diesel::update(held)
                            .set((
                                alerts::status.eq(status),
                                alerts::next_attempt_at.eq(next_attempt_at),
                                alerts::last_error.eq(Some(error)),
                                alerts::lease_until.eq(None::<NaiveDateTime>),
                            ))
                            .execute(conn)?
                    }
                };
                Ok(changed == 1)
            })
            .collect()
    })
}

/// Records that `worker` delivered the alert; see [`record_outcomes`].
pub fn mark_sent(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    message_id: &str,
) -> Result<bool, DbError> {
    let held = record_outcomes(conn, worker, &[(id, Outcome::Sent { message_id })])?;
    Ok(held.contains(&true))
}

/// Records a failed attempt; see [`record_outcomes`].
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> Result<bool, DbError> {
    let held = record_outcomes(conn, worker, &[(id, Outcome::Failed { error, retry_at })])?;
    Ok(held.contains(&true))
}

/// Puts a failed alert back in the queue with its attempts reset, for an admin who has
/// fixed what made it fail. Audited. Only a failed alert can be retried.
pub fn retry(conn: &mut DbConnection, actor: &Actor, id: i64) -> Result<AlertRow, DbError> {
    write_transaction(conn, |conn| {
        let before = get(conn, id)?;
        if before.status != FAILED {
            return Err(DbError::Conflict(format!(
                "alert {id} is {}; only a failed alert can be retried",
                before.status
            )));
        }
        let after: AlertRow = diesel::update(alerts::table.find(id))
            .set((
                alerts::status.eq(PENDING),
                alerts::attempts.eq(0),
                alerts::next_attempt_at.eq(crate::now()),
                alerts::lease_until.eq(None::<NaiveDateTime>),
                alerts::claimed_by.eq(None::<String>),
            ))
            .returning(alerts::all_columns)
            .get_result(conn)?;
        audit::record(
            conn,
            actor,
            "retry",
            "alert",
            &id.to_string(),
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<AlertRow, DbError> {
    alerts::table
        .find(id)
        .select(AlertRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("alert", id))
}

/// What an alert list may be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub programme_id: Option<i64>,
    pub kind: Option<String>,
}

/// One page of alerts, newest first, before alert `before_id` when given; the caller
/// asks for one more row than it shows, to know whether another page follows.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AlertRow>, DbError> {
    let mut query = alerts::table.select(AlertRow::as_select()).into_boxed();
    if let Some(status) = &filter.status {
        query = query.filter(alerts::status.eq(status.clone()));
    }
    if let Some(programme) = filter.programme_id {
        query = query.filter(alerts::programme_id.eq(programme));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(alerts::kind.eq(kind.clone()));
    }
    if let Some(before) = before_id {
        query = query.filter(alerts::id.lt(before));
    }
    Ok(query.order(alerts::id.desc()).limit(limit).load(conn)?)
}

/// How many alerts are in each status, for tests and the worker's log.
pub fn count_by_status(conn: &mut DbConnection, status: &str) -> Result<i64, DbError> {
    Ok(alerts::table
        .filter(alerts::status.eq(status))
        .count()
        .get_result(conn)?)
}

/// Codes of the programmes with these ids, for showing alerts by programme code.
pub fn programme_codes(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(programmes::table
        .filter(programmes::id.eq_any(ids))
        .select((programmes::id, programmes::code))
        .load(conn)?)
}
