//! The statement that makes a status report's rating its programme's current one, on
//! PostgreSQL, written out with fixed text so it is prepared once per connection
//! (Diesel prepares every UPDATE it builds again on each run).
//!
//! When the report turns the programme Red or out of it, the owners' outbox row is written
//! by the same statement, a data-modifying `WITH`: on PostgreSQL every statement is a
//! round trip to the server inside the report's transaction, which holds the
//! programme's lock. SQLite runs its statements in-process, so there the update and the
//! outbox row stay two statements. (Measured in the README: a report costs about a
//! tenth less CPU; what alerts add to it did not change.)

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

use crate::alerts::Queued;
use crate::outbox_statements::{POSTGRES_GATHER, owners_row};

/// `UPDATE programmes …`: the rating, since when, and a new version.
#[derive(Debug)]
pub(crate) struct SetRating<'a> {
    pub programme_id: i64,
    pub rating: &'a str,
    pub since: NaiveDateTime,
    pub at: NaiveDateTime,
}

/// [`SetRating`], and the owners' outbox row for `alert`, in one statement.
#[derive(Debug)]
pub(crate) struct SetRatingAndAlertOwners<'a> {
    pub rating: SetRating<'a>,
    pub alert: &'a Queued,
}

impl QueryFragment<Pg> for SetRating<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("UPDATE programmes SET current_rating = ");
        out.push_bind_param::<Text, _>(self.rating)?;
        out.push_sql(", rating_since = ");
        out.push_bind_param::<Timestamp, _>(&self.since)?;
        out.push_sql(", version = version + 1, updated_at = ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<BigInt, _>(&self.programme_id)
    }
}

impl QueryFragment<Pg> for SetRatingAndAlertOwners<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // A data-modifying WITH runs to the end whether or not any owner reads it, so the
        // rating is set on a programme without active owners too; grouped, the owners'
        // row is written only when there are some (see `outbox_statements`).
        out.push_sql("WITH rated AS (");
        self.rating.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING id) ");
        owners_row(self.alert, POSTGRES_GATHER, out.reborrow())?;
        out.push_sql(
            " FROM rated \
             JOIN programme_owners ON programme_owners.programme_id = rated.id \
             JOIN users ON users.id = programme_owners.user_id \
             WHERE users.active \
             GROUP BY programme_owners.programme_id",
        );
        Ok(())
    }
}

// Each statement's text is fixed, whatever its values: its type names it in the cache.
impl QueryId for SetRating<'_> {
    type QueryId = SetRating<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryId for SetRatingAndAlertOwners<'_> {
    type QueryId = SetRatingAndAlertOwners<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn> RunQueryDsl<Conn> for SetRating<'_> {}
impl<Conn> RunQueryDsl<Conn> for SetRatingAndAlertOwners<'_> {}
