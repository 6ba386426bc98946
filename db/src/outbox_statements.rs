//! The statement that writes an event's outbox row for the programme's owners, written
//! out with fixed text so it is prepared once per connection: it runs inside the
//! event's transaction, where every statement holds the programme's lock (and on
//! SQLite the one write lock).
//!
//! One row per event, its recipients gathered into a JSON array by the database, in the
//! owners' key order: SQLite reads them in that order (`json_group_array` keeps it, no
//! sort); PostgreSQL is told (`json_agg … ORDER BY`). No row when no active owner is
//! left to tell.

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

use crate::alerts::Queued;

/// The owners' outbox row for `alert`. A sweep (`SWEEP`) leaves out owners whose alert
/// is already filed, and returns the recipients it wrote; an event being recorded
/// writes its key for the first time, so it has none filed.
#[derive(Debug)]
pub(crate) struct QueueOwners<'a, const SWEEP: bool> {
    pub alert: &'a Queued,
}

/// `INSERT INTO alert_outbox (…) SELECT …` the owners' row, gathering the recipients
/// with `gather`; the caller adds the `FROM`, which joins `programme_owners` and `users`.
pub(crate) fn owners_row<'b, DB>(
    alert: &'b Queued,
    gather: &'static str,
    mut out: AstPass<'_, 'b, DB>,
) -> QueryResult<()>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    chrono::NaiveDateTime: ToSql<Timestamp, DB>,
{
    out.push_sql(
        "INSERT INTO alert_outbox (key_prefix, kind, programme_id, recipients, details, created_at) \
         SELECT ",
    );
    out.push_bind_param::<Text, _>(alert.key_prefix.as_str())?;
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(alert.kind.as_str())?;
    out.push_sql(", programme_owners.programme_id, ");
    out.push_sql(gather);
    out.push_sql(", ");
    out.push_bind_param::<Text, _>(alert.details.as_str())?;
    out.push_sql(", ");
    out.push_bind_param::<Timestamp, _>(&alert.at)
}

/// SQLite's and PostgreSQL's ways of gathering the owners' emails into a JSON array.
const SQLITE_GATHER: &str = "json_group_array(users.email)";
pub(crate) const POSTGRES_GATHER: &str =
    "json_agg(users.email ORDER BY programme_owners.user_id)::text";

impl<const SWEEP: bool> QueueOwners<'_, SWEEP> {
    fn walk<'b, DB>(&'b self, gather: &'static str, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: Backend,
        str: ToSql<Text, DB>,
        i64: ToSql<BigInt, DB>,
        chrono::NaiveDateTime: ToSql<Timestamp, DB>,
    {
        owners_row(self.alert, gather, out.reborrow())?;
        out.push_sql(
            " FROM programme_owners JOIN users ON users.id = programme_owners.user_id \
             WHERE programme_owners.programme_id = ",
        );
        out.push_bind_param::<BigInt, _>(&self.alert.programme_id)?;
        out.push_sql(" AND users.active");
        if SWEEP {
            out.push_sql(" AND NOT EXISTS (SELECT 1 FROM alerts WHERE alerts.unique_key = ");
            out.push_bind_param::<Text, _>(self.alert.key_prefix.as_str())?;
            out.push_sql(" || users.email)");
        }
        // Grouped, so that no row is written when no owner is left.
        out.push_sql(" GROUP BY programme_owners.programme_id");
        if SWEEP {
            out.push_sql(" RETURNING recipients");
        }
        Ok(())
    }
}

impl<const SWEEP: bool> QueryFragment<Sqlite> for QueueOwners<'_, SWEEP> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.walk(SQLITE_GATHER, out)
    }
}

impl<const SWEEP: bool> QueryFragment<Pg> for QueueOwners<'_, SWEEP> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.walk(POSTGRES_GATHER, out)
    }
}

/// A sweep returns the recipients of the row it wrote.
impl Query for QueueOwners<'_, true> {
    type SqlType = Text;
}

// The statement's text is fixed for each `SWEEP`, whatever its values: its type names
// it in the cache.
impl<const SWEEP: bool> QueryId for QueueOwners<'_, SWEEP> {
    type QueryId = QueueOwners<'static, SWEEP>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn, const SWEEP: bool> RunQueryDsl<Conn> for QueueOwners<'_, SWEEP> {}
