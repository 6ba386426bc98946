//! Alerts: raising them in the transaction of the event they tell of, the reminders a
//! silent programme earns, the worker's claims and outcomes, and what administrators
//! and auditors see of them.

use beacon_core::alert::{self, AboutProgramme, OverdueReport};
use beacon_core::{Action, AlertDetails, AlertKind, AlertStatus};
use beacon_db::alerts::{Event, Filter, Outcome};
use beacon_db::records::{Alert, Programme};
use beacon_db::{DbConnection, Tx, owners, programmes, status_reports, write_transaction};
use chrono::{NaiveDateTime, TimeDelta};

use super::{AppError, Caller};

/// Whether events raise alerts, and who besides owners hears of them. The loading of
/// published history raises none: those events were news long ago.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub enabled: bool,
    /// Told of every event but overdue reminders, e.g. a portfolio office mailbox.
    pub extra_recipients: Vec<String>,
}

impl Policy {
    pub fn off() -> Self {
        Policy::default()
    }

    pub fn on(extra_recipients: Vec<String>) -> Self {
        Policy {
            enabled: true,
            extra_recipients,
        }
    }
}

pub(crate) fn about(programme: &Programme) -> AboutProgramme {
    AboutProgramme {
        programme_code: programme.code.to_string(),
        programme_name: programme.name.clone(),
    }
}

/// Writes an event's alert, in the event's transaction, to the programme's active
/// owners and, for the kinds they hear of, the policy's extra recipients. `event`
/// names it among events of its kind (`status_report:42`). Returns how many it wrote.
pub(crate) fn raise(
    tx: &mut Tx<'_>,
    policy: &Policy,
    event: &str,
    programme_id: i64,
    details: &AlertDetails,
) -> Result<usize, AppError> {
    if !policy.enabled {
        return Ok(0);
    }
    let mut recipients = owners::active_emails(tx, programme_id)?;
    if details.kind().tells_extra_recipients() {
        recipients.extend(policy.extra_recipients.iter().cloned());
    }
    let event = Event {
        key: event,
        programme_id,
        details,
        at: beacon_db::now(),
    };
    Ok(beacon_db::alerts::queue(tx, &event, &recipients)?)
}

/// Writes a reminder to the owners of each open programme that has had no status
/// report for more than `cadence_days` (from its last report, or its registration),
/// once each lapsed period: the period is part of the reminder's key, so however often
/// this runs, and on however many workers, each lapse reminds each owner once.
/// Returns the reminders written.
pub fn sweep_reminders(
    conn: &mut DbConnection,
    policy: &Policy,
    now: NaiveDateTime,
    cadence_days: i64,
) -> Result<usize, AppError> {
    if !policy.enabled {
        return Ok(0);
    }
    let owned: std::collections::HashSet<i64> =
        owners::owned_programme_ids(conn)?.into_iter().collect();
    let last_reports = status_reports::latest_by_programme(conn)?;
    let mut overdue = Vec::new();
    for programme in programmes::list(conn)? {
        if !owned.contains(&programme.id) {
            continue;
        }
        let last = last_reports.get(&programme.id).copied();
        let since = last.unwrap_or(programme.created_at);
        let Some(due) = alert::report_overdue(programme.stage, since, now, cadence_days) else {
            continue;
        };
        let details = AlertDetails::ReportOverdue(OverdueReport {
            programme: about(&programme),
            last_report_at: last,
            due_on: due.date(),
            cadence_days,
            at: now,
        });
        overdue.push((
            programme.id,
            format!("programme:{}:due:{}", programme.id, due.date()),
            details,
        ));
    }
    let mut written = 0;
    // A transaction per 50 programmes: a sweep over a large portfolio neither holds
    // SQLite's write lock for long nor takes it once per programme.
    for chunk in overdue.chunks(50) {
        written += write_transaction(conn, |tx| {
            chunk.iter().try_fold(0, |sum, (id, event, details)| {
                Ok::<_, AppError>(sum + raise(tx, policy, event, *id, details)?)
            })
        })?;
    }
    Ok(written)
}

/// Claims up to `batch` due alerts for `worker` until `now + lease`.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease: TimeDelta,
    batch: i64,
) -> Result<Vec<Alert>, AppError> {
    Ok(beacon_db::alerts::claim(conn, worker, now, lease, batch)?)
}

/// Records what became of alerts `worker` claimed; for each, whether it still held it.
pub fn record_outcomes(
    conn: &mut DbConnection,
    worker: &str,
    outcomes: &[(i64, Outcome<'_>)],
) -> Result<Vec<bool>, AppError> {
    Ok(beacon_db::alerts::record_outcomes(conn, worker, outcomes)?)
}

/// What to narrow the alerts to, as asked: a programme's code rather than its id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertQuery {
    pub status: Option<AlertStatus>,
    pub programme: Option<String>,
    pub kind: Option<AlertKind>,
}

/// Alerts, newest first, before `before` when given.
pub fn list(
    conn: &mut DbConnection,
    who: &Caller,
    query: &AlertQuery,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Alert>, AppError> {
    who.may(Action::ReadAlerts)?;
    let programme_id = match &query.programme {
        Some(code) => Some(
            programmes::find_by_code(conn, code)?
                .ok_or_else(|| {
                    AppError::field("programme", format!("no programme has the code '{code}'"))
                })?
                .id,
        ),
        None => None,
    };
    let filter = Filter {
        status: query.status,
        programme_id,
        kind: query.kind,
    };
    Ok(beacon_db::alerts::page(conn, &filter, before, limit)?)
}

/// The latest `limit` alerts about a programme, newest first, for those who may read
/// alerts and for the programme's owners, to whom they were written; `None` for anyone
/// else.
pub fn about_programme(
    conn: &mut DbConnection,
    who: &Caller,
    detail: &super::register::ProgrammeDetail,
    limit: i64,
) -> Result<Option<Vec<Alert>>, AppError> {
    let owns = who
        .user_id()
        .is_some_and(|me| detail.owners.iter().any(|o| o.user_id == me));
    if !owns && who.may(Action::ReadAlerts).is_err() {
        return Ok(None);
    }
    let filter = Filter {
        programme_id: Some(detail.programme.id),
        ..Filter::default()
    };
    Ok(Some(beacon_db::alerts::page(conn, &filter, None, limit)?))
}

/// Puts a failed alert back in the queue from its first attempt, for after the cause
/// (a refused address, a mail server down too long) is fixed. Audited.
pub fn retry(conn: &mut DbConnection, who: &Caller, id: i64) -> Result<Alert, AppError> {
    who.may(Action::RetryAlerts)?;
    write_transaction(conn, |tx| {
        let alert = beacon_db::alerts::get(tx, id)?;
        if alert.status != AlertStatus::Failed {
            return Err(AppError::Conflict(format!(
                "alert {id} is {}; only a failed alert can be retried",
                alert.status
            )));
        }
        Ok(beacon_db::alerts::requeue(tx, &who.actor, id)?)
    })
}
