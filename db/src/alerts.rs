//! The alert outbox: what owners are told, written in the transaction of the event it
//! tells of, and claimed, sent and settled by the alert workers.
//!
//! An event's alerts are written to `alert_outbox` as one row naming the event and its
//! recipients, in a table with no index but its key: inside a status report's
//! transaction (on SQLite, inside the one write lock) every row and index is more to
//! write, and the three indexes `alerts` needs cost reports a tenth of their
//! throughput. A worker claims new alerts by filing outbox rows into `alerts`, one
//! alert per recipient, as its claims; whoever reads the alerts files what is waiting
//! first ([`file_all`]), so a reader sees the alerts of every committed event.
//!
//! Exactly once rests on two things. Each alert has a unique key (the event and the
//! recipient), so an alert written twice is filed once. And a worker claims alerts
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
use crate::outbox_statements::QueueOwners;
use crate::outcome_statements::{MarkFailed, MarkSent, SettleGroup};
use crate::query::{LimitLiteral, in_ids};
use crate::schema::{alert_outbox, alerts, programme_owners, programmes};

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

/// An event's outbox row for recipients named here rather than read from the owners.
#[derive(Insertable)]
#[diesel(table_name = alert_outbox)]
struct NewEvent<'a> {
    key_prefix: &'a str,
    kind: &'a str,
    programme_id: i64,
    /// A JSON array of addresses.
    recipients: String,
    details: &'a str,
    created_at: NaiveDateTime,
}

/// An outbox row as a worker reads it to file it.
#[derive(Queryable)]
struct WaitingEvent {
    id: i64,
    key_prefix: String,
    kind: String,
    programme_id: i64,
    recipients: String,
    details: String,
    created_at: NaiveDateTime,
}

/// One recipient's alert, filed from an outbox row.
#[derive(Insertable)]
#[diesel(table_name = alerts, treat_none_as_default_value = false)]
struct FiledAlert<'a> {
    unique_key: String,
    kind: &'a str,
    programme_id: i64,
    recipient: &'a str,
    details: &'a str,
    status: &'a str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    lease_until: Option<NaiveDateTime>,
    claimed_by: Option<&'a str>,
    created_at: NaiveDateTime,
}

/// What kind of event an alert is for, which says who hears of it and whether its
/// alerts may have been written before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Occasion {
    /// A report or ledger entry being recorded: its key names a row written in this
    /// transaction, so nothing is filed under it yet. The programme's active owners
    /// hear of it, then the policy's extra recipients.
    Recorded,
    /// An overdue report, which every reminder sweep finds again until the programme
    /// reports: the programme's active owners alone, less those already filed.
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

/// Writes `alert` to the outbox for its recipients: the programme's active owners, then
/// (for an event being recorded) the policy's extra recipients. Each recipient's alert
/// is filed under the event and the lowercased address: an alert written twice (an
/// extra recipient who is also an owner) is filed once. Returns how many recipients it
/// wrote.
fn queue(
    conn: &mut DbConnection,
    policy: &Policy,
    occasion: Occasion,
    alert: &Queued,
) -> Result<usize, DbError> {
    let mut written = queue_owners(conn, occasion, alert)?;
    if occasion == Occasion::Recorded {
        written += queue_extra_recipients(conn, policy, alert)?;
    }
    Ok(written)
}

/// The owners' outbox row, in one fixed statement, kept prepared (`outbox_statements`).
/// On PostgreSQL a status report writes its owners' row with its rating instead, in one
/// statement (`rating_statements`). A recorded event's row is counted as one
/// recipient: only a sweep's count is read.
fn queue_owners(
    conn: &mut DbConnection,
    occasion: Occasion,
    alert: &Queued,
) -> Result<usize, DbError> {
    match occasion {
        Occasion::Recorded => {
            let statement = QueueOwners::<false> { alert };
            Ok(on_backend!(conn, |c| statement.execute(c))?)
        }
        // A sweep leaves out owners already filed: the filing would drop their alerts,
        // but each sweep would write them all again.
        Occasion::Sweep => {
            let statement = QueueOwners::<true> { alert };
            let written: Vec<String> = on_backend!(conn, |c| statement.load(c))?;
            written.iter().try_fold(0, |sum, recipients| {
                Ok(sum + serde_json::from_str::<Vec<String>>(recipients)?.len())
            })
        }
    }
}

/// The policy's extra recipients' outbox row (a portfolio office mailbox) for an event
/// being recorded.
pub(crate) fn queue_extra_recipients(
    conn: &mut DbConnection,
    policy: &Policy,
    alert: &Queued,
) -> Result<usize, DbError> {
    if policy.extra_recipients.is_empty() {
        return Ok(0);
    }
    let row = NewEvent {
        key_prefix: &alert.key_prefix,
        kind: alert.kind.as_str(),
        programme_id: alert.programme_id,
        recipients: serde_json::to_string(&policy.extra_recipients)?,
        details: &alert.details,
        created_at: alert.at,
    };
    let insert = diesel::insert_into(alert_outbox::table).values(&row);
    on_backend!(conn, |c| insert.execute(c))?;
    Ok(policy.extra_recipients.len())
}

/// The most outbox rows moved at once.
const FILE_AT_ONCE: i64 = 250;

/// The most alerts one statement files: 11 values each, well inside both backends'
/// limit on a statement's bound values.
const ALERTS_PER_INSERT: usize = 500;

/// What one [`move_waiting`] did.
struct Moved {
    /// Rows that left the outbox.
    rows: usize,
    /// The alerts filed from them (for a claim, those claimed): all but any already
    /// filed under the same key.
    filed: Vec<AlertRow>,
}

/// Moves up to `limit` (at most [`FILE_AT_ONCE`]) of the oldest outbox rows into
/// `alerts`, as an alert per recipient; an alert already filed under the same unique
/// key is dropped. Filed for `claim`, the first `limit` alerts are that worker's until
/// the lease ends, with their first attempt counted, and are what [`Moved::filed`]
/// returns; the others are due at once. On PostgreSQL rows another
/// worker is moving are skipped, not waited for. Runs inside the caller's write
/// transaction (a claim's own, with no savepoint: two round trips fewer per claim).
fn move_waiting(
    conn: &mut DbConnection,
    limit: i64,
    claim: Option<(&str, NaiveDateTime)>,
) -> Result<Moved, DbError> {
    let oldest = alert_outbox::table
        .order(alert_outbox::id.asc())
        .limit(limit.clamp(1, FILE_AT_ONCE));
    let events: Vec<WaitingEvent> = match conn {
        DbConnection::Postgres(pg) => oldest.for_update().skip_locked().load(pg)?,
        // The write transaction holds SQLite's only write lock.
        DbConnection::Sqlite(_) => oldest.load(conn)?,
    };
    if events.is_empty() {
        return Ok(Moved {
            rows: 0,
            filed: Vec::new(),
        });
    }
    let recipients = events
        .iter()
        .map(|event| {
            serde_json::from_str::<Vec<String>>(&event.recipients)
                .map_err(|_| DbError::corrupt(format!("recipients of outbox row {}", event.id)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The first `limit` alerts are the claim's, next due when the lease ends; the rest
    // of their events' alerts (and all of them, filed for no claim) are due from when
    // they were written.
    let rows: Vec<FiledAlert<'_>> = events
        .iter()
        .zip(&recipients)
        .flat_map(|(event, recipients)| recipients.iter().map(move |recipient| (event, recipient)))
        .enumerate()
        .map(|(n, (event, recipient))| {
            let (attempts, lease_until, claimed_by) = match claim {
                Some((worker, until)) if (n as i64) < limit => (1, Some(until), Some(worker)),
                _ => (0, None, None),
            };
            FiledAlert {
                unique_key: format!("{}{}", event.key_prefix, recipient.to_lowercase()),
                kind: &event.kind,
                programme_id: event.programme_id,
                recipient,
                details: &event.details,
                status: PENDING,
                attempts,
                next_attempt_at: lease_until.unwrap_or(event.created_at),
                lease_until,
                claimed_by,
                created_at: event.created_at,
            }
        })
        .collect();
    let mut filed = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ALERTS_PER_INSERT) {
        let insert = diesel::insert_into(alerts::table)
            .values(chunk)
            .on_conflict(alerts::unique_key)
            .do_nothing()
            .returning(alerts::all_columns);
        filed.extend(on_backend!(conn, |c| insert.get_results::<AlertRow>(c))?);
    }
    filed.retain(|alert| alert.claimed_by.as_deref() == claim.map(|(worker, _)| worker));
    let ids: Vec<i64> = events.iter().map(|event| event.id).collect();
    diesel::delete(alert_outbox::table.filter(in_ids(alert_outbox::id, &ids))).execute(conn)?;
    Ok(Moved {
        rows: events.len(),
        filed,
    })
}

/// Files every alert waiting in the outbox, a few hundred per transaction, so that
/// what follows reads every alert written so far (on PostgreSQL, but those a worker is
/// filing at that moment, which are its claims).
pub fn file_all(conn: &mut DbConnection) -> Result<(), DbError> {
    while write_transaction(conn, |conn| move_waiting(conn, FILE_AT_ONCE, None))?.rows > 0 {}
    Ok(())
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

/// Writes a status report's alerts (see [`status_report_alert`]) to the outbox.
pub(crate) fn queue_status_report_alert(
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
    // Reminders already written are then in `alerts`, where `queue` looks for them.
    file_all(conn)?;
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
    // An idle worker asks first with plain reads: on SQLite a claim takes the only
    // write lock, which status reports should not queue behind once a second for
    // nothing.
    let waiting = alert_outbox::table
        .select(alert_outbox::id)
        .limit_literal(1)
        .get_result::<i64>(conn)
        .optional()?
        .is_some();
    if !waiting {
        let due_again: Option<i64> = alerts::table
            .filter(alerts::status.eq(PENDING))
            .filter(alerts::next_attempt_at.le(now))
            .select(alerts::id)
            .limit_literal(1)
            .get_result(conn)
            .optional()?;
        if due_again.is_none() {
            return Ok(Vec::new());
        }
    }
    write_transaction(conn, |conn| {
        relaxed_commit(conn)?;
        let due = alerts::table
            .filter(alerts::status.eq(PENDING))
            .filter(alerts::next_attempt_at.le(now))
            .order((alerts::next_attempt_at.asc(), alerts::id.asc()))
            .select(alerts::id)
            .limit(batch);
        let ids: Vec<i64> = match conn {
            // Rows another worker is claiming right now are skipped, not waited for:
            // workers share the due alerts without queueing behind each other.
            DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
            // BEGIN IMMEDIATE already holds SQLite's only write lock.
            DbConnection::Sqlite(_) => due.load(conn)?,
        };
        let mut claimed: Vec<AlertRow> = if ids.is_empty() {
            Vec::new()
        } else {
            let update = diesel::update(alerts::table)
                .filter(in_ids(alerts::id, &ids))
                .set((
                    alerts::attempts.eq(alerts::attempts + 1),
                    alerts::next_attempt_at.eq(until),
                    alerts::lease_until.eq(Some(until)),
                    alerts::claimed_by.eq(Some(worker)),
                ))
                .returning(alerts::all_columns);
            on_backend!(conn, |c| update.get_results(c))?
        };
        // Then new alerts, filed from the outbox as this worker's claims: one write
        // each, not a filing and a claim.
        let room = batch - claimed.len() as i64;
        if waiting && room > 0 {
            claimed.extend(move_waiting(conn, room, Some((worker, until)))?.filed);
        }
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

/// Records what became of alerts `worker` claimed, in one write: a worker settles the
/// messages it sent together at once rather than taking the write lock per message.
/// For each, false when the worker no longer held it (its lease ended and another
/// worker claimed it): the caller logs that.
pub fn record_outcomes(
    conn: &mut DbConnection,
    worker: &str,
    outcomes: &[(i64, Outcome<'_>)],
) -> Result<Vec<bool>, DbError> {
    let now = crate::now();
    if let DbConnection::Postgres(pg) = conn {
        let settled: Vec<i64> = SettleGroup::new(worker, outcomes, now).load(pg)?;
        return Ok(outcomes
            .iter()
            .map(|(id, _)| settled.contains(id))
            .collect());
    }
    write_transaction(conn, |conn| {
        outcomes
            .iter()
            .map(|(id, outcome)| {
                let changed = match *outcome {
                    Outcome::Sent { message_id } => {
                        let sent = MarkSent {
                            id: *id,
                            worker,
                            message_id,
                            at: now,
                        };
                        on_backend!(conn, |c| sent.execute(c))?
                    }
                    Outcome::Failed { error, retry_at } => {
                        let (status, next_attempt_at) = match retry_at {
                            Some(at) => (PENDING, at),
                            None => (FAILED, now),
                        };
                        let failed = MarkFailed {
                            id: *id,
                            worker,
                            status,
                            next_attempt_at,
                            error,
                        };
                        on_backend!(conn, |c| failed.execute(c))?
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

/// Lets PostgreSQL acknowledge the worker's bookkeeping (claims here, outcomes in
/// `SettleGroup`, which sets the same in its one statement) before it is
/// flushed to disk, so it does not add a disk flush per alert to the ones status
/// reports wait for. A crash could forget the last fraction of a second of it: an alert
/// would then be claimed and sent again, which is the same window as a worker dying
/// between the SMTP server's acceptance and the record of it. Status reports and the
/// alerts they write keep full durability.
fn relaxed_commit(conn: &mut DbConnection) -> Result<(), DbError> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::connection::SimpleConnection::batch_execute(
            pg,
            "SET LOCAL synchronous_commit = off",
        )?;
    }
    Ok(())
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
    file_all(conn)?;
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
    file_all(conn)?;
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
    Ok(query
        .order(alerts::id.desc())
        .limit_literal(limit)
        .load(conn)?)
}

/// How many alerts are in each status, for tests and the worker's log.
pub fn count_by_status(conn: &mut DbConnection, status: &str) -> Result<i64, DbError> {
    file_all(conn)?;
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
        .filter(in_ids(programmes::id, ids))
        .select((programmes::id, programmes::code))
        .load(conn)?)
}
