//! The two statements that settle a claimed alert, written out with fixed text so each
//! is prepared once per connection. Diesel prepares every UPDATE it builds again on
//! each run (its query builder cannot tell a fixed one from one whose columns vary),
//! and the alert worker runs one per alert sent, so each would be parsed and planned
//! again for every alert.
//!
//! Both change the alert only while it is still pending and claimed by `worker`, so a
//! worker whose lease ended cannot settle an alert another worker now holds.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

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

// Each statement's text is fixed, whatever its values: its type names it in the cache.
impl QueryId for MarkSent<'_> {
    type QueryId = MarkSent<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryId for MarkFailed<'_> {
    type QueryId = MarkFailed<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn> RunQueryDsl<Conn> for MarkSent<'_> {}
impl<Conn> RunQueryDsl<Conn> for MarkFailed<'_> {}
