//! The alert outbox: what owners are told, written in the transaction of the event it
//! tells of, then claimed, sent and settled by the alert workers.
//!
//! Exactly once rests on two things. Each alert has a unique key (the event and the
//! recipient), so an alert written twice is stored once. And a worker claims alerts
//! before it sends them, with a lease (see `backend::lock_due_alerts`): a claimed alert
//! is not due again until its lease ends, so a worker that dies holding it delays it by
//! one lease and no more.

use beacon_core::audit_trail::{AuditAction, AuditEntity};
use beacon_core::{AlertDetails, AlertKind, AlertStatus, alert};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::backend;
use crate::connection::{DbConnection, Tx, write_transaction};
use crate::error::DbError;
use crate::records::{Alert, all};
use crate::rows::{AlertRow, NewAlertRow};
use crate::schema::alerts;

/// An event's alert, to write for each of its recipients.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Names the event among events of its kind, e.g. `status_report:42`.
    pub key: &'a str,
    pub programme_id: i64,
    pub details: &'a AlertDetails,
    pub at: NaiveDateTime,
}

/// Writes the event's alert for each recipient, in the event's transaction, leaving out
/// anyone already told of it. Returns how many it wrote.
pub fn queue(tx: &mut Tx<'_>, event: &Event<'_>, recipients: &[String]) -> Result<usize, DbError> {
    let kind = event.details.kind();
    let details = event.details.to_json().to_string();
    let mut written = 0;
    for recipient in recipients {
        let row = NewAlertRow {
            unique_key: alert::key(kind, event.key, recipient),
            kind: kind.as_str(),
            programme_id: event.programme_id,
            recipient,
            details: &details,
            status: AlertStatus::Pending.as_str(),
            attempts: 0,
            next_attempt_at: event.at,
            created_at: event.at,
        };
        written += usize::from(backend::insert_alert_once(tx, &row)?);
    }
    Ok(written)
}

fn due(now: NaiveDateTime) -> alerts::BoxedQuery<'static, crate::connection::MultiBackend> {
    alerts::table
        .filter(alerts::status.eq(AlertStatus::Pending.as_str()))
        .filter(alerts::next_attempt_at.le(now))
        .into_boxed()
}

/// Claims up to `batch` due alerts for `worker` until `now + lease`, counting the
/// attempt, oldest first. A claimed alert is not due again until the lease ends; the
/// worker records its outcome with [`record_outcomes`] before then.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease: TimeDelta,
    batch: i64,
) -> Result<Vec<Alert>, DbError> {
    let until = now + lease;
    // An idle worker asks first with a plain read: on SQLite a claim takes the only
    // write lock, which status reports should not queue behind for nothing.
    let any: Option<i64> = due(now).select(alerts::id).first(conn).optional()?;
    if any.is_none() {
        return Ok(Vec::new());
    }
    let rows: Vec<AlertRow> = write_transaction(conn, |tx| {
        let ids = backend::lock_due_alerts(tx, now, batch)?;
        Ok::<_, DbError>(
            diesel::update(alerts::table)
                .filter(alerts::id.eq_any(&ids))
                .set((
                    alerts::attempts.eq(alerts::attempts + 1),
                    alerts::next_attempt_at.eq(until),
                    alerts::lease_until.eq(Some(until)),
                    alerts::claimed_by.eq(Some(worker)),
                ))
                .returning(alerts::all_columns)
                .get_results(&mut **tx)?,
        )
    })?;
    let mut claimed: Vec<Alert> = all(rows)?;
    claimed.sort_by_key(|a| (a.created_at, a.id));
    Ok(claimed)
}

/// Gives back alerts `worker` claimed but will not send (it is stopping): due again at
/// once for any worker, the claim's attempt not counted. Returns how many it held.
pub fn release(conn: &mut DbConnection, worker: &str, ids: &[i64]) -> Result<usize, DbError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let now = crate::now();
    write_transaction(conn, |tx| {
        Ok(diesel::update(alerts::table)
            .filter(alerts::id.eq_any(ids))
            .filter(alerts::status.eq(AlertStatus::Pending.as_str()))
            .filter(alerts::claimed_by.eq(worker))
            .set((
                alerts::attempts.eq(alerts::attempts - 1),
                alerts::next_attempt_at.eq(now),
                alerts::lease_until.eq(None::<NaiveDateTime>),
                alerts::claimed_by.eq(None::<String>),
            ))
            .execute(&mut **tx)?)
    })
}

/// What became of one claimed alert.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// Delivered, under this Message-ID.
    Sent { message_id: &'a str },
    /// Not delivered: due again at `retry_at`, or failed for good when `None`.
    Failed {
        error: &'a str,
        retry_at: Option<NaiveDateTime>,
    },
}

/// Records what became of alerts `worker` claimed, in one transaction. Each changes an
/// alert only while it is still pending and claimed by `worker`, so a worker whose lease
/// ended cannot settle an alert another worker now holds: for each, false when the
/// worker no longer held it.
pub fn record_outcomes(
    conn: &mut DbConnection,
    worker: &str,
    outcomes: &[(i64, Outcome<'_>)],
) -> Result<Vec<bool>, DbError> {
    let now = crate::now();
    write_transaction(conn, |tx| {
        outcomes
            .iter()
            .map(|(id, outcome)| Ok(settle(tx, worker, *id, *outcome, now)? == 1))
            .collect()
    })
}

fn settle(
    tx: &mut Tx<'_>,
    worker: &str,
    id: i64,
    outcome: Outcome<'_>,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let held = alerts::table
        .filter(alerts::id.eq(id))
        .filter(alerts::status.eq(AlertStatus::Pending.as_str()))
        .filter(alerts::claimed_by.eq(worker));
    let changed = match outcome {
        Outcome::Sent { message_id } => diesel::update(held)
            .set((
                alerts::status.eq(AlertStatus::Sent.as_str()),
                alerts::sent_at.eq(Some(now)),
                alerts::message_id.eq(Some(message_id)),
                alerts::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(&mut **tx)?,
        Outcome::Failed { error, retry_at } => {
            let (status, next_attempt_at) = match retry_at {
                Some(at) => (AlertStatus::Pending, at),
                None => (AlertStatus::Failed, now),
            };
            diesel::update(held)
                .set((
                    alerts::status.eq(status.as_str()),
                    alerts::next_attempt_at.eq(next_attempt_at),
                    alerts::last_error.eq(Some(error)),
                    alerts::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(&mut **tx)?
        }
    };
    Ok(changed)
}

/// Puts an alert back in the queue with its attempts reset, with its audit entry.
pub fn requeue(tx: &mut Tx<'_>, actor: &Actor, id: i64) -> Result<Alert, DbError> {
    let before = row(tx, id)?;
    let after: AlertRow = diesel::update(alerts::table.find(id))
        .set((
            alerts::status.eq(AlertStatus::Pending.as_str()),
            alerts::attempts.eq(0),
            alerts::next_attempt_at.eq(crate::now()),
            alerts::lease_until.eq(None::<NaiveDateTime>),
            alerts::claimed_by.eq(None::<String>),
        ))
        .returning(alerts::all_columns)
        .get_result(&mut **tx)?;
    audit::record(
        tx,
        actor,
        AuditAction::Retry,
        AuditEntity::Alert,
        &id.to_string(),
        Some(&before),
        Some(&after),
    )?;
    Alert::try_from(after)
}

fn row(conn: &mut DbConnection, id: i64) -> Result<AlertRow, DbError> {
    alerts::table
        .find(id)
        .select(AlertRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("alert", id))
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<Alert, DbError> {
    Alert::try_from(row(conn, id)?)
}

/// What an alert list may be narrowed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub status: Option<AlertStatus>,
    pub programme_id: Option<i64>,
    pub kind: Option<AlertKind>,
}

/// Up to `limit` alerts, newest first, before alert `before_id` when given.
pub fn page(
    conn: &mut DbConnection,
    filter: &Filter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Alert>, DbError> {
    let mut query = alerts::table.select(AlertRow::as_select()).into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(alerts::status.eq(status.as_str()));
    }
    if let Some(programme) = filter.programme_id {
        query = query.filter(alerts::programme_id.eq(programme));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(alerts::kind.eq(kind.as_str()));
    }
    if let Some(before) = before_id {
        query = query.filter(alerts::id.lt(before));
    }
    let rows: Vec<AlertRow> = query.order(alerts::id.desc()).limit(limit).load(conn)?;
    all(rows)
}

/// The alerts waiting and done: how many have each status, and when the oldest
/// pending one was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub by_status: Vec<(String, i64)>,
    pub oldest_pending: Option<NaiveDateTime>,
}

pub fn backlog(conn: &mut DbConnection) -> Result<Backlog, DbError> {
    let by_status: Vec<(String, i64)> = alerts::table
        .group_by(alerts::status)
        .select((alerts::status, diesel::dsl::count_star()))
        .load(conn)?;
    let oldest_pending: Option<NaiveDateTime> = alerts::table
        .filter(alerts::status.eq(AlertStatus::Pending.as_str()))
        .select(diesel::dsl::min(alerts::created_at))
        .get_result(conn)?;
    Ok(Backlog {
        by_status,
        oldest_pending,
    })
}
