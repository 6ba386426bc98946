//! The statements that settle claimed alerts, written out with fixed text so each is
//! prepared once per connection. Diesel prepares every UPDATE it builds again on each
//! run (its query builder cannot tell a fixed one from one whose columns vary), and the
//! alert worker settles every alert it sends, so each would be parsed and planned again
//! for every alert.
//!
//! On SQLite a statement per alert, inside one transaction: statements run in-process.
//! On PostgreSQL one statement settles a whole group, with its outcomes passed as
//! arrays: there every statement is a round trip to the server, and the four
//! statements of a transaction per alert had cost the server more than the alert's
//! filing.
//!
//! Each changes an alert only while it is still pending and claimed by `worker`, so a
//! worker whose lease ended cannot settle an alert another worker now holds.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

use crate::alerts::Outcome;

/// Sent, under this Message-ID.
#[derive(Debug)]
pub(crate) struct MarkSent<'a> {
    pub id: i64,
    pub worker: &'a str,
    pub message_id: &'a str,
    pub at: NaiveDateTime,
}

/// Not sent: `status` is pending (due again at `next_attempt_at`) or failed for good.
#[derive(Debug)]
pub(crate) struct MarkFailed<'a> {
    pub id: i64,
    pub worker: &'a str,
    pub status: &'a str,
    pub next_attempt_at: NaiveDateTime,
    pub error: &'a str,
}

/// `… WHERE id = ? AND status = 'pending' AND claimed_by = ?`
fn still_held<'b, DB>(id: &'b i64, worker: &'b str, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()>
where
    DB: Backend,
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
{
    out.push_sql(" WHERE id = ");
    out.push_bind_param::<BigInt, _>(id)?;
    out.push_sql(" AND status = ");
    out.push_bind_param::<Text, _>(crate::alerts::PENDING)?;
    out.push_sql(" AND claimed_by = ");
    out.push_bind_param::<Text, _>(worker)
}

impl<DB> QueryFragment<DB> for MarkSent<'_>
where
    DB: Backend,
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE alerts SET status = ");
        out.push_bind_param::<Text, _>(crate::alerts::SENT)?;
        out.push_sql(", sent_at = ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", message_id = ");
        out.push_bind_param::<Text, _>(self.message_id)?;
        out.push_sql(", lease_until = NULL");
        still_held(&self.id, self.worker, out)
    }
}

impl<DB> QueryFragment<DB> for MarkFailed<'_>
where
    DB: Backend,
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE alerts SET status = ");
        out.push_bind_param::<Text, _>(self.status)?;
        out.push_sql(", next_attempt_at = ");
        out.push_bind_param::<Timestamp, _>(&self.next_attempt_at)?;
        out.push_sql(", last_error = ");
        out.push_bind_param::<Text, _>(self.error)?;
        out.push_sql(", lease_until = NULL");
        still_held(&self.id, self.worker, out)
    }
}

/// A group's outcomes, in one PostgreSQL statement; returns the ids it settled.
#[derive(Debug)]
pub(crate) struct SettleGroup<'a> {
    worker: &'a str,
    ids: Vec<i64>,
    statuses: Vec<&'a str>,
    next_attempt_at: Vec<Option<NaiveDateTime>>,
    sent_at: Vec<Option<NaiveDateTime>>,
    message_ids: Vec<Option<&'a str>>,
    errors: Vec<Option<&'a str>>,
}

impl<'a> SettleGroup<'a> {
    pub fn new(worker: &'a str, outcomes: &[(i64, Outcome<'a>)], now: NaiveDateTime) -> Self {
        let mut group = SettleGroup {
            worker,
            ids: Vec::with_capacity(outcomes.len()),
            statuses: Vec::with_capacity(outcomes.len()),
            next_attempt_at: Vec::with_capacity(outcomes.len()),
            sent_at: Vec::with_capacity(outcomes.len()),
            message_ids: Vec::with_capacity(outcomes.len()),
            errors: Vec::with_capacity(outcomes.len()),
        };
        for (id, outcome) in outcomes {
            group.ids.push(*id);
            // What each outcome leaves alone is NULL here, and the statement keeps the
            // alert's own value for it, as `MarkSent` and `MarkFailed` do.
            let (status, next_attempt_at, sent_at, message_id, error) = match *outcome {
                Outcome::Sent { message_id } => {
                    (crate::alerts::SENT, None, Some(now), Some(message_id), None)
                }
                Outcome::Failed { error, retry_at } => match retry_at {
                    Some(at) => (crate::alerts::PENDING, Some(at), None, None, Some(error)),
                    None => (crate::alerts::FAILED, Some(now), None, None, Some(error)),
                },
            };
            group.statuses.push(status);
            group.next_attempt_at.push(next_attempt_at);
            group.sent_at.push(sent_at);
            group.message_ids.push(message_id);
            group.errors.push(error);
        }
        group
    }
}

impl QueryFragment<Pg> for SettleGroup<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "UPDATE alerts SET status = o.status, \
             next_attempt_at = COALESCE(o.next_attempt_at, alerts.next_attempt_at), \
             sent_at = COALESCE(o.sent_at, alerts.sent_at), \
             message_id = COALESCE(o.message_id, alerts.message_id), \
             last_error = COALESCE(o.last_error, alerts.last_error), \
             lease_until = NULL \
             FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.statuses)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&self.next_attempt_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Timestamp>>, _>(&self.sent_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.message_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.errors)?;
        out.push_sql(
            ") AS o (id, status, next_attempt_at, sent_at, message_id, last_error) \
             WHERE alerts.id = o.id AND alerts.status = ",
        );
        out.push_bind_param::<Text, _>(crate::alerts::PENDING)?;
        out.push_sql(" AND alerts.claimed_by = ");
        out.push_bind_param::<Text, _>(self.worker)?;
        // The statement is its own transaction: this makes its commit one that does
        // not wait for the disk, as `SET LOCAL synchronous_commit = off` would in a
        // transaction of three more round trips (see `alerts::relaxed_commit`). It is
        // evaluated for each alert settled, so before any commit that changed one.
        out.push_sql(
            " AND set_config('synchronous_commit', 'off', true) = 'off' RETURNING alerts.id",
        );
        Ok(())
    }
}

impl Query for SettleGroup<'_> {
    type SqlType = BigInt;
}

// Each statement's text is fixed, whatever its values: its type names it in the cache.
impl QueryId for MarkSent<'_> {
    type QueryId = MarkSent<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryId for MarkFailed<'_> {
    type QueryId = MarkFailed<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryId for SettleGroup<'_> {
    type QueryId = SettleGroup<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn> RunQueryDsl<Conn> for MarkSent<'_> {}
impl<Conn> RunQueryDsl<Conn> for SettleGroup<'_> {}
impl<Conn> RunQueryDsl<Conn> for MarkFailed<'_> {}
